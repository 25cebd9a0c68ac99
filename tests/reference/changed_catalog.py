"""The real catalog with the township changes and renames of 2014 that the catalog-history
tests read, written to a folder: LWJ and WYJ merge into LWY, FXJ is carved out of YMZ,
苏家作乡 becomes 苏家作街道 (SJJ), 项目投入 is renamed, and 数字经济增加值 is new. The soak
(tests/soak/changes.py) makes the same changes in a later year (``year``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

Raw = dict[str, Any]

NEW_INDICATOR: Raw = {
    "code": "digital_va", "name": "数字经济增加值", "unit": "亿元", "measure": "flow",
    "group": "综合", "valid_from": "2014-01",
}  # fmt: skip
RENAMED = "重点项目投入"  # project_input's name from 2014; 项目投入 stays an alias
CHANGED_UNITS: list[Raw] = [
    {"code": "LWY", "name": "李万文苑街道", "kind": "街道", "valid_from": "2014-01"},
    {"code": "FXJ", "name": "丰收街道", "kind": "街道", "valid_from": "2014-01",
     "split_from": "YMZ", "base_share": {"gdp": 0.4, "*": 0.3}},
    {"code": "SJJ", "name": "苏家作街道", "kind": "街道", "valid_from": "2014-01"},
]  # fmt: skip
ENDED = {"LWJ": "LWY", "WYJ": "LWY", "SJZ": "SJJ"}  # merged into, after 2013-12


def write_catalog(
    folder: Path,
    *,
    units: Callable[[list[Raw]], None] | None = None,
    indicators: Callable[[list[Raw]], None] | None = None,
) -> Path:
    """The real catalog copied to ``folder``, the org units and indicators edited in place by
    ``units`` and ``indicators``; returns the folder."""
    source = REPO_ROOT / "data" / "catalog"
    folder.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.yaml"):
        shutil.copyfile(path, folder / path.name)
    org = yaml.safe_load((source / "org_units.yaml").read_text(encoding="utf-8"))
    inds = yaml.safe_load((source / "indicators.yaml").read_text(encoding="utf-8"))
    if units is not None:
        units(org["units"])
    if indicators is not None:
        indicators(inds)
    for name, data in (("org_units.yaml", org), ("indicators.yaml", inds)):
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def change_units(units: list[Raw], year: int = 2014) -> None:
    """The township changes of ``year`` (the new units report the township form)."""
    by_code = {u["code"]: u for u in units}
    form = by_code["LWJ"]["reports"]
    for code, successor in ENDED.items():
        by_code[code].update(valid_to=f"{year - 1}-12", merged_into=successor)
    at = units.index(by_code["DIR"])
    units[at:at] = [{**u, "reports": form, "valid_from": f"{year}-01"} for u in CHANGED_UNITS]


def change_indicators(inds: list[Raw], year: int = 2014) -> None:
    """项目投入 renamed, 数字经济增加值 new from ``year``."""
    for ind in inds:
        if ind["code"] == "project_input":
            ind["renamed_from"] = [ind["name"]]
            ind["name"] = RENAMED
    inds.append({**NEW_INDICATOR, "valid_from": f"{year}-01"})


def changed_catalog(folder: Path, year: int = 2014) -> Path:
    """The catalog with every change of ``year``; DIR's form has the new indicator."""

    def units(raw: list[Raw]) -> None:
        change_units(raw, year)
        direct = next(u for u in raw if u["code"] == "DIR")
        direct["reports"] = [*direct["reports"], NEW_INDICATOR["code"]]

    def indicators(raw: list[Raw]) -> None:
        change_indicators(raw, year)

    return write_catalog(folder, units=units, indicators=indicators)
