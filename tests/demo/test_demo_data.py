"""The committed demo inbox: parses cleanly, ends 2012 on the seed, tells the 2013 story."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from jzplan.core.periods import Period
from jzplan.core.submissions import ParsedSubmission
from jzplan.demo.files import file_name
from jzplan.demo.inbox import write_inbox
from jzplan.demo.story import DEFECT, LATE, SCENARIO
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import baseline_canonical, is_growth_only

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "data" / "inbox"
FIRST_DATA_ROW = 6


@pytest.fixture(scope="module")
def parsed(parsed_inbox) -> dict[Path, ParsedSubmission]:
    """Every workbook of the inbox (the session's, shared with the demo store)."""
    assert set(parsed_inbox) == set(INBOX.rglob("*.xlsx"))
    return dict(parsed_inbox)


@pytest.fixture(scope="module")
def figures(parsed) -> pd.Series:
    """Value by (org_unit, period, indicator) over every accepted file."""
    frames = [s.frame for s in parsed.values() if s.ok]
    return pd.concat(frames).set_index(["org_unit", "period", "indicator"])["value"]


def _defect_path(catalog: Catalog) -> Path:
    unit, period, _, _ = DEFECT
    return INBOX / str(period) / file_name(catalog.unit(unit), period)


def test_every_file_parses_except_the_defective_one(catalog, parsed):
    unit, _, indicator, text = DEFECT
    defect = _defect_path(catalog)
    assert defect in parsed
    row = FIRST_DATA_ROW + catalog.unit(unit).reports.index(indicator)
    assert [(i.code, i.row, i.column) for i in parsed[defect].issues] == [
        ("not_a_number", row, "E")
    ]
    assert text in parsed[defect].issues[0].message
    for path, sub in parsed.items():
        if path != defect:
            assert sub.issues == [], path.name
            assert set(sub.frame["indicator"]) == set(catalog.unit(sub.org_unit).reports)


def test_one_form_per_unit_and_month(catalog, parsed):
    reporters = {u.code for u in catalog.units if u.reports}
    seen: dict[tuple[str, str], list[Path]] = {}
    for path, sub in parsed.items():
        period = str(sub.period) if sub.period else "?"
        seen.setdefault((sub.org_unit or "?", period), []).append(path)
        late = (sub.org_unit, period) == (LATE[0], str(LATE[1]))
        if not late:
            assert path.parent.name == period, path
    months = [str(Period(y, m)) for y in (2012, 2013) for m in range(1, 13)]
    assert set(seen) == {(u, m) for u in reporters for m in months}
    defect_key = (DEFECT[0], str(DEFECT[1]))
    assert all(len(v) == 1 for k, v in seen.items() if k != defect_key)
    assert len(seen[defect_key]) == 2  # the defective file and its correction


def test_late_file_is_in_the_next_folder_only(catalog, parsed):
    unit, period, filed_on = LATE
    name = file_name(catalog.unit(unit), period)
    assert not (INBOX / str(period) / name).exists()
    late = INBOX / str(period.next()) / name
    assert parsed[late].org_unit == unit
    assert parsed[late].period == period
    assert parsed[late].filed_on == filed_on


def test_correction_follows_the_defective_file(catalog, parsed):
    unit, period, indicator, text = DEFECT
    defect = _defect_path(catalog)
    fixed = defect.with_name(file_name(catalog.unit(unit), period, "(更正)"))
    assert parsed[fixed].ok
    assert parsed[fixed].filed_on > parsed[defect].filed_on
    frame = parsed[fixed].frame.set_index("indicator")
    # the office's "约1300" was a rounding of the figure it then sent
    approx = float(text.removeprefix("约"))
    assert abs(frame.loc[indicator, "value"] - approx) <= 50


def _area(figures: pd.Series, catalog: Catalog, indicator: str, period: str) -> float:
    return sum(figures[(u.code, period, indicator)] for u in catalog.reporters_of(indicator))


def _rate(figures: pd.Series, catalog: Catalog, unit: str, period: str) -> float:
    births, deaths, population = catalog.indicator("natural_growth_rate").components
    f = {c: figures[(unit, period, c)] for c in (births, deaths, population)}
    return (f[births] - f[deaths]) / f[population] * 1000


def _growth_cell(catalog: Catalog, unit: str, indicator: str) -> float:
    period = Period(2012, 12)
    ws = openpyxl.load_workbook(INBOX / str(period) / file_name(catalog.unit(unit), period)).active
    row = FIRST_DATA_ROW + catalog.unit(unit).reports.index(indicator)
    return float(ws[f"G{row}"].value)


def test_december_2012_reproduces_the_seed(catalog, plan, figures):
    checked = 0
    for b in plan.baselines:
        if b.year != 2012:
            continue
        ind = catalog.indicator(b.indicator)
        if is_growth_only(b, catalog):
            # a growth fact: the form's 同比增长 column shows it
            assert _growth_cell(catalog, b.scope, b.indicator) == pytest.approx(b.value), b.id
        elif ind.aggregation == "recompute":
            # "控制在6‰以内": a ceiling achieved
            assert _rate(figures, catalog, b.scope, "2012-12") <= b.value, b.id
        elif b.scope == catalog.area.code:
            total = _area(figures, catalog, b.indicator, "2012-12")
            assert math.isclose(total, baseline_canonical(b, catalog), rel_tol=1e-9), b.id
        else:
            value = figures[(b.scope, "2012-12", b.indicator)]
            assert math.isclose(value, baseline_canonical(b, catalog), rel_tol=1e-9), b.id
        checked += 1
    assert checked >= 30


def test_the_2013_story(catalog, plan, figures):
    """Spot checks of SCENARIO: met, behind, late and recovered figures."""
    dec, oct_, jun = "2013-12", "2013-10", "2013-06"
    assert _area(figures, catalog, "ind_va_above", dec) >= 55  # met
    assert _area(figures, catalog, "fiscal_revenue", dec) >= 65000  # 6.5亿 met
    assert _area(figures, catalog, "fiscal_revenue", dec) < 2 * 50100  # 翻一番 behind
    assert _area(figures, catalog, "fai", dec) < 96.2  # behind
    assert _area(figures, catalog, "exports", dec) < 4200  # behind
    assert (
        figures[("DIR", oct_, "enterprises_above")]
        < 100
        <= figures[("DIR", dec, "enterprises_above")]
    )
    assert figures[("NGZ", dec, "rural_net_income")] < 8900  # one township's income missed
    pops = {u.code: figures[(u.code, dec, "registered_population")] for u in catalog.townships}
    weighted = sum(_rate(figures, catalog, u, dec) * p for u, p in pops.items())
    area_rate = weighted / sum(pops.values())
    assert area_rate <= 6.5
    # 市外资金: behind linear pace at mid-year, met in December
    external = _area(figures, catalog, "external_funds", jun)
    assert SCENARIO["A06"].shape == "slow_start"
    assert external < 57 * 0.5 <= 57 <= _area(figures, catalog, "external_funds", dec)


def test_regeneration_is_byte_identical(tmp_path, catalog, plan):
    write_inbox(tmp_path, catalog, plan)

    def digests(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    assert digests(tmp_path) == digests(INBOX)
