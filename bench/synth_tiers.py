"""The bench's tiers and the tree of units each one generates (bench/synth.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOG_DIR = ROOT / "data" / "catalog"

# Bump whenever the output changes: cached tiers of another version are regenerated.
GENERATOR_VERSION = 1
YEAR = 2013
FORM = "standard"
DEFAULT_SEED = 20130601
TOWNSHIP_KINDS: tuple[str, ...] = ("乡", "镇", "街道")


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    area: tuple[str, str, str]  # code, name, kind
    levels: tuple[tuple[str, int], ...]  # (kind, count) per level under the area; townships last
    months: tuple[int, ...]  # months of YEAR written to the inbox
    plant_errors: int = 0
    seed: int = DEFAULT_SEED
    scaled_to: int | None = None  # the --units knob, when given

    @property
    def townships(self) -> int:
        return self.levels[-1][1]

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(f"{YEAR}-{m:02d}" for m in self.months)

    @property
    def key(self) -> str:
        """The cache folder's name: everything that changes the output."""
        key = f"{self.name}-v{GENERATOR_VERSION}"
        if self.scaled_to is not None:
            key += f"-u{self.scaled_to}"
        if self.plant_errors != TIERS[self.name].plant_errors:
            key += f"-e{self.plant_errors}"
        if self.seed != DEFAULT_SEED:
            key += f"-s{self.seed}"
        return key

    def scaled(self, townships: int) -> Tier:
        """The same tier with ``townships`` reporting units and proportionally fewer units above
        them (level k keeps at least 2^k units, so that a tiny tier still branches)."""
        if townships < 1:
            raise ValueError("a tier needs at least one township")
        full = self.townships
        counts = []
        for depth, (_, count) in enumerate(self.levels[:-1], start=1):
            wanted = max(2**depth, round(count * townships / full))
            counts.append(min(wanted, townships))
        for i in range(1, len(counts)):
            counts[i] = max(counts[i], counts[i - 1])
        levels = tuple(
            (kind, n) for (kind, _), n in zip(self.levels, [*counts, townships], strict=True)
        )
        return replace(self, levels=levels, scaled_to=townships)


TIERS: dict[str, Tier] = {
    "small": Tier("small", ("JZXQ", "焦作新区", "新区"), (("乡镇", 6),), (6,)),
    "province": Tier(
        "province",
        ("41", "样本省", "省"),
        (("市", 17), ("县", 150), ("乡镇", 2500)),
        tuple(range(1, 13)),
    ),
    "national": Tier(
        "national",
        ("CN", "全国", "国家"),
        (("省", 31), ("市", 330), ("县", 2800), ("乡镇", 40000)),
        (6,),
        plant_errors=4,
    ),
}


@dataclass(frozen=True, slots=True)
class Hierarchy:
    area: tuple[str, str, str]
    units: pd.DataFrame  # code, name, kind, parent, form; parents before children
    leaf_codes: list[str]  # the reporting units, in units order
    top_codes: list[str]  # the units directly under the area
    top_names: list[str]
    leaf_top: np.ndarray  # index into top_codes of each leaf's level-1 ancestor
    depth: int  # levels of the tree, the area included


def _split(total: int, groups: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` items over ``groups`` groups, each at least one, sizes uneven as in life."""
    if groups > total:
        raise ValueError(f"{groups} groups for {total} items")
    share = rng.dirichlet(np.full(groups, 4.0))
    return 1 + rng.multinomial(total - groups, share)


def _real_townships() -> list[tuple[str, str, str]]:
    org = yaml.safe_load((CATALOG_DIR / "org_units.yaml").read_text(encoding="utf-8"))
    return [
        (str(u["code"]), str(u["name"]), str(u["kind"]))
        for u in org["units"]
        if u["kind"] in TOWNSHIP_KINDS
    ]


def build_hierarchy(tier: Tier, rng: np.random.Generator) -> Hierarchy:
    """The tier's tree. Codes follow the administrative-division pattern (province 2 digits,
    city and county 2 more each, township 3 more: ``410102003``); names spell the path
    (第12市第4县第7镇)."""
    area_code = tier.area[0]
    rows: list[tuple[str, str, str, str, str]] = []
    if tier.name == "small":
        towns = _real_townships()[: tier.townships]
        for code, name, kind in towns:
            rows.append((code, name, kind, area_code, FORM))
        codes = [r[0] for r in rows]
        frame = pd.DataFrame(rows, columns=["code", "name", "kind", "parent", "form"])
        names = [r[1] for r in rows]
        return Hierarchy(tier.area, frame, codes, codes, names, np.arange(len(codes)), 2)

    numeric_area = area_code.isdigit()
    # (code, name, index of the level-1 ancestor) of the units of the previous level
    parents: list[tuple[str, str, int]] = [(area_code, "", -1)]
    for depth, (kind, count) in enumerate(tier.levels):
        last = depth == len(tier.levels) - 1
        sizes = _split(count, len(parents), rng)
        digits = max(3 if last else 2, len(str(int(sizes.max()))))
        kinds = (
            rng.choice(np.array(TOWNSHIP_KINDS), size=count, p=[0.35, 0.4, 0.25])
            if last
            else np.full(count, kind)
        )
        children: list[tuple[str, str, int]] = []
        i = 0
        for (pcode, pname, top), size in zip(parents, sizes, strict=True):
            prefix = pcode if (depth > 0 or numeric_area) else ""
            for k in range(1, int(size) + 1):
                ckind = str(kinds[i])
                code = f"{prefix}{(k + 10) if (depth == 0 and not numeric_area) else k:0{digits}d}"
                name = f"{pname}第{k}{ckind}"
                ctop = len(children) if depth == 0 else top
                children.append((code, name, ctop))
                rows.append(
                    (code, name, ckind, area_code if depth == 0 else pcode, FORM if last else "")
                )
                i += 1
        parents = children
    frame = pd.DataFrame(rows, columns=["code", "name", "kind", "parent", "form"])
    tops = frame[frame["parent"] == area_code]
    return Hierarchy(
        tier.area,
        frame,
        [c for c, _, _ in parents],
        tops["code"].tolist(),
        tops["name"].tolist(),
        np.array([t for _, _, t in parents], dtype=np.intp),
        len(tier.levels) + 1,
    )
