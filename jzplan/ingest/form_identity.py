"""Whose form it is and for which month: 填报单位 and 报告期 from the cells, cross-checked with
what the file name and the inbox folder claim."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl.utils import get_column_letter

from jzplan.core.periods import Period
from jzplan.core.states import IssueSeverity
from jzplan.ingest.form_layout import (
    YTD_SPAN_RE,
    FormHeader,
    Located,
    SheetIssues,
    find_labelled,
    norm,
)
from jzplan.ingest.readers import as_date
from jzplan.reference.catalog import Catalog, OrgUnit, normalize_name

_PERIOD_TEXT_RE = re.compile(
    r"(\d{4})(?:年(?:(\d{1,2})[-~至—–])?(\d{1,2})月份?|[-./](\d{1,2}))(?!\d)"
)
_FILE_PERIOD_RE = re.compile(
    r"(\d{4})\s*(?:年\s*(?:\d{1,2}\s*[-~至—–]\s*)?(\d{1,2})\s*月|[-._](\d{1,2})(?!\d))"
)
_DATE_RE = re.compile(r"(\d{4})(?:年(\d{1,2})月(\d{1,2})日?|[-./](\d{1,2})[-./](\d{1,2}))")


@dataclass(slots=True)
class Identity:
    org: OrgUnit | None = None
    org_at: Located | None = None
    period: Period | None = None
    period_at: Located | None = None
    filed_by: str | None = None
    filed_on: date | None = None


def make_period(year: int, month: int) -> Period | None:
    """The month, or None when ``month`` is not one (2013年13月)."""
    try:
        return Period(year, month)
    except ValueError:
        return None


def period_from_text(text: str) -> tuple[Period | None, bool]:
    """(period, recognised) from 2013年3月 / 2013年1-3月 / 2013-03 / 2013.3; a span must start
    in January (the form reports year-to-date)."""
    m = _PERIOD_TEXT_RE.search(text)
    if m is None:
        return None, False
    start = m.group(2)
    period = make_period(int(m.group(1)), int(m.group(3) or m.group(4)))
    if period is None or (start is not None and int(start) != 1):
        return None, True
    return period, True


def _unit_name_keys(unit: OrgUnit) -> list[str]:
    """The unit's name and short forms used in file names (新区直报单位 → 新区直报)."""
    full = normalize_name(unit.name)
    short = re.sub(r"\(.*?\)", "", full)
    keys = {full, short, short.removesuffix("单位")}
    return sorted((k for k in keys if len(k) >= 2), key=len, reverse=True)


def _longest_unit_in(text: str, catalog: Catalog) -> OrgUnit | None:
    """The reporting unit whose name or short form is the longest one ``text`` contains."""
    best: tuple[int, OrgUnit] | None = None
    for unit in catalog.units:
        for key in _unit_name_keys(unit):
            if key in text and (best is None or len(key) > best[0]):
                best = (len(key), unit)
    return best[1] if best else None


def _resolve_unit(text: str, catalog: Catalog) -> OrgUnit | None:
    """The org unit named in 填报单位: exact, or the longest unit name the text contains
    (宁郭镇人民政府, 宁郭镇统计站)."""
    exact = catalog.unit_by_name(text)
    return exact if exact is not None else _longest_unit_in(text, catalog)


def identity_from_filename(name: str, catalog: Catalog) -> tuple[OrgUnit | None, Period | None]:
    """The unit and period a file name claims, e.g. ``宁郭镇_2013年05月_月报.xlsx``."""
    stem = normalize_name(Path(name).stem)
    period: Period | None = None
    m = _FILE_PERIOD_RE.search(stem)
    if m:
        period = make_period(int(m.group(1)), int(m.group(2) or m.group(3)))
    return _longest_unit_in(stem, catalog), period


def file_label(path: Path, catalog: Catalog | None) -> str:
    """``NGZ-2013-03`` from the unit and period the file name claims, else the file's stem."""
    if catalog is not None:
        unit, period = identity_from_filename(path.name, catalog)
        if unit is not None and period is not None:
            return f"{unit.code}-{period}"
    return path.stem


def arrival_from_folder(path: Path) -> Period | None:
    """The batch a file arrived with, from its inbox folder ``<YYYY-MM>/`` (None elsewhere)."""
    try:
        return Period.parse(path.parent.name)
    except ValueError:
        return None


def read_identity(
    rows: Sequence[Sequence[object]], catalog: Catalog, issues: SheetIssues, header_row: int
) -> Identity:
    """填报单位, 报告期, 填报人 (or 填表人) and 填报日期 (or 报出日期), wherever they sit."""
    ident = Identity()
    found = find_labelled(rows, "填报单位")
    if found is None or not found.value:
        issues.add("missing_identity", "表中未找到“填报单位”", sheet=True)
    else:
        ident.org_at = found
        ident.org = _resolve_unit(str(found.value), catalog)
        if ident.org is None:
            issues.at("unknown_org_unit", f"填报单位“{found.value}”不在单位目录中", found)
    _read_period(rows, ident, issues, header_row)
    for label in ("填报人", "填表人"):
        found = find_labelled(rows, label)
        if found is not None and isinstance(found.value, str) and found.value:
            ident.filed_by = found.value
            break
    ident.filed_on = _read_filed_on(rows, issues)
    return ident


def _read_period(
    rows: Sequence[Sequence[object]], ident: Identity, issues: SheetIssues, header_row: int
) -> None:
    found = find_labelled(rows, "报告期")
    if found is None:
        # no label: a line such as 2013年1-5月 under the title
        for r, row in enumerate(rows[:header_row]):
            for c, value in enumerate(row):
                text = norm(value)
                if isinstance(value, str) and _PERIOD_TEXT_RE.search(text) and "年" in text:
                    found = Located(text, r + 1, c, str(value))
                    break
            if found is not None:
                break
    if found is None or found.value in ("", None):
        issues.add("missing_identity", "表中未找到“报告期”")
        return
    ident.period_at = found
    if isinstance(found.value, date):
        ident.period = make_period(found.value.year, found.value.month)
    else:
        ident.period, _ = period_from_text(str(found.value))
    if ident.period is None:
        issues.at(
            "bad_period",
            f"报告期“{found.value}”无法识别：应写作“2013年5月”或“2013年1-5月”（从1月起累计）",
            found,
        )


# The form's filing date, by either of its labels (the first found in this order)
FILED_ON_LABELS = ("填报日期", "报出日期")


def _read_filed_on(rows: Sequence[Sequence[object]], issues: SheetIssues) -> date | None:
    """填报日期, or 报出日期 where a form names its filing date so: what decides which of two
    files of one unit and month is current (``jzplan.store.currency``)."""
    found, label = None, FILED_ON_LABELS[0]
    for label in FILED_ON_LABELS:
        found = find_labelled(rows, label)
        if found is not None and found.value not in ("", None):
            break
    if found is None or found.value in ("", None):
        return None
    if isinstance(found.value, date):
        return as_date(found.value)
    m = _DATE_RE.search(str(found.value))
    warning = IssueSeverity.WARNING
    if m is None:
        issues.at("bad_date", f"{label}“{found.raw}”无法识别", found, severity=warning)
        return None
    parts = [int(g) for g in m.groups() if g is not None]
    try:
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        issues.at("bad_date", f"{label}“{found.raw}”不是有效日期", found, warning)
        return None


def check_identity(
    ident: Identity,
    issues: SheetIssues,
    *,
    file: str,
    catalog: Catalog,
    arrival: Period | None,
) -> None:
    """Cross-check the contents' 填报单位 and 报告期 with the file name and the inbox folder."""
    file_org, file_period = identity_from_filename(file, catalog)
    if file_org is not None and ident.org is not None and file_org.code != ident.org.code:
        assert ident.org_at is not None
        issues.at(
            "org_unit_mismatch",
            f"表内填报单位“{ident.org.name}”与文件名中的单位“{file_org.name}”不一致",
            ident.org_at,
        )
    if file_period is not None and ident.period is not None and file_period != ident.period:
        assert ident.period_at is not None
        issues.at(
            "period_mismatch",
            f"表内报告期“{ident.period.label}”与文件名中的报告期“{file_period.label}”不一致"
            f"（{ident.period} / {file_period}）：请核对报告期后重新报送",
            ident.period_at,
        )
    if arrival is not None and ident.period is not None and ident.period > arrival:
        assert ident.period_at is not None
        issues.at(
            "period_after_arrival",
            f"表内报告期 {ident.period} 晚于所在批次文件夹 {arrival}：月报只能在报告期之后报送",
            ident.period_at,
        )
    period = ident.period or file_period
    if ident.org is not None and period is not None:  # a name reused once its unit was gone
        ident.org = catalog.unit_by_name(ident.org.name, period) or ident.org
    org = ident.org or file_org
    if org is not None and period is not None and not org.validity.covers(period):
        message = (
            f"填报单位“{org.name}”在报告期 {period} 不在单位目录的有效期内"
            f"（有效期 {org.validity.text()}）：请按调整后的单位报送"
        )
        at = ident.org_at or ident.period_at
        if at is not None:
            issues.at("org_unit_not_valid", message, at)
        else:
            issues.add("org_unit_not_valid", message)
    # the file name stands in only when the contents are silent (still an error above)
    if ident.org is None and ident.org_at is None:
        ident.org = file_org
    if ident.period is None and ident.period_at is None:
        ident.period = file_period


def check_header_span(header: FormHeader, period: Period | None, issues: SheetIssues) -> None:
    """A 1-N月累计 header must end at the report's month (a copied old form does not)."""
    m = YTD_SPAN_RE.search(header.value_label)
    if m is None or period is None:
        return
    month = period.month
    if int(m.group(1)) != month:
        issues.add(
            "header_period_mismatch",
            f"表头“{header.value_label}”与报告期 {period} 不一致（应为“1-{month}月累计”），"
            "可能沿用了上月报表",
            row=header.value_label_row + 1,
            column=get_column_letter(header.value_col + 1),
        )
