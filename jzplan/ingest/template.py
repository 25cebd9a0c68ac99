"""The blank monthly form (月报) for one reporting unit and month, as offices should fill it.

The standard statistical form the parser reads (``jzplan.ingest.form_writer.build_form`` with a
``FormHead``): title, 表号/制定机关/批准文号, 填报单位 and 报告期, the two-row header, one line
per indicator of the unit's form with its Chinese name and unit and a 情况说明 cell, then
单位负责人, 统计负责人, 填表人, 联系电话 and 报出日期 (read back as the filing date). The sheet is
protected without a password; only the inputs are unlocked (the figures, 情况说明, the foot's
names, phone and date). Number cells carry Excel data validation (a number, not negative
unless the indicator may be, whole numbers for counts, or “—” for no data) with a prompt
naming the indicator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl.worksheet.datavalidation import DataValidation

from jzplan.core.errors import OperatorError
from jzplan.core.periods import Period
from jzplan.core.settings import Settings
from jzplan.ingest.form_writer import (
    SHEET_NAME,
    STANDARD_FIRST_DATA_ROW,
    FormHead,
    FormRow,
    build_form,
    deadline_note,
    save_workbook,
    ytd_span,
)
from jzplan.reference.catalog import Catalog, OrgUnit, load_catalog
from jzplan.reference.display import WHOLE_UNITS

FIRST_DATA_ROW = STANDARD_FIRST_DATA_ROW
NUMBER_COLUMNS = ("D", "E", "F")  # 本月, 1-N月累计, 去年同期累计
GROWTH_COLUMN = "G"


EXPLAIN_NOTE = "变动较大或与上月、去年同期不可比的指标，请在“情况说明”栏写明原因。"


class TemplateError(ValueError):
    """The unit is unknown or has no monthly form."""


def resolve_unit(catalog: Catalog, unit: str, period: Period | None = None) -> OrgUnit:
    """A reporting unit by code (NGZ) or Chinese name (宁郭镇; the one valid in ``period``)."""
    found = catalog.org_units.get(unit.upper()) or catalog.unit_by_name(unit, period)
    if found is None:
        known = "、".join(f"{u.code} {u.name}" for u in catalog.units)
        raise TemplateError(f"未知的填报单位“{unit}”，可选：{known}")
    if not found.reports:
        raise TemplateError(f"{found.name}没有月报表式")
    if period is not None and not found.validity.covers(period):
        raise TemplateError(
            f"{found.name}在 {period} 不在单位目录的有效期内（有效期 {found.validity.text()}）"
        )
    return found


def _rule(col: str, row: int, *, negative: bool, whole: bool) -> str:
    ref = f"{col}{row}"
    checks = [f"ISNUMBER({ref})"]
    if not negative:
        checks.append(f"{ref}>=0")
    if whole:
        checks.append(f"{ref}=INT({ref})")
    return f'OR(AND({",".join(checks)}),{ref}="—",{ref}="-")'


def write_template(
    path: Path,
    *,
    catalog: Catalog,
    unit: str,
    period: Period,
    deadline: tuple[int, int] = (5, 17),
    head: FormHead | None = None,
) -> Path:
    """Write the blank form of ``unit`` (code or name) for ``period`` to ``path`` (.xlsx);
    its note asks for the form by ``deadline`` (day of the next month, hour: the settings'),
    its head names the form (``head``: the settings' 表号, 制定机关, 批准文号)."""
    org = resolve_unit(catalog, unit, period)
    codes = [c for c in org.reports if catalog.indicator(c).validity.covers(period)]
    rows = [FormRow(code, None, None, None) for code in codes]
    wb = build_form(
        catalog=catalog,
        unit_code=org.code,
        period=period,
        rows=rows,
        filed_by="",
        filed_on=None,
        note=f"{deadline_note(*deadline)}{EXPLAIN_NOTE}",
        head=head or FormHead(),
    )
    ws = wb[SHEET_NAME]
    span = ytd_span(period)
    for i, code in enumerate(codes):
        r = FIRST_DATA_ROW + i
        ind = catalog.indicator(code)
        whole = ind.unit in WHOLE_UNITS
        rule = DataValidation(
            type="custom",
            formula1=_rule(NUMBER_COLUMNS[0], r, negative=ind.allows_negative, whole=whole),
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorStyle="stop",
            errorTitle="数值有误",
            error=_error_text(ind.name, ind.unit, negative=ind.allows_negative, whole=whole),
            promptTitle=ind.name[:32],
            prompt=_prompt(ind.unit, span, stock=ind.measure == "stock"),
        )
        rule.add(f"{NUMBER_COLUMNS[0]}{r}:{NUMBER_COLUMNS[-1]}{r}")
        ws.add_data_validation(rule)
        ws[f"{GROWTH_COLUMN}{r}"] = (
            f'=IF(AND(ISNUMBER(E{r}),ISNUMBER(F{r}),F{r}<>0),ROUND((E{r}/F{r}-1)*100,1),"")'
        )
        ws[f"{GROWTH_COLUMN}{r}"].number_format = "0.0"
    save_workbook(wb, path, creator=org.name)
    return path


def _error_text(name: str, unit: str, *, negative: bool, whole: bool) -> str:
    kind = "整数" if whole else "数字"
    sign = "" if negative else "（不能为负）"
    return f"“{name}”只能填写{kind}{sign}，计量单位：{unit}；无数据填“—”"


def _prompt(unit: str, span: str, *, stock: bool) -> str:
    what = "月末数" if stock else f"本月数和{span}累计数"
    return f"填写{what}，计量单位：{unit}"


# --------------------------------------------------------------------------- command line


def add_parser(sub: Any) -> None:
    """``jzplan template --unit NGZ --period 2013-03 --out form.xlsx``."""
    cmd = sub.add_parser("template", help="生成某单位某月的空白月报表（Excel，含数据有效性）")
    cmd.add_argument("--unit", required=True, help="单位代码或名称，如 NGZ 或 宁郭镇")
    cmd.add_argument("--period", required=True, help="报告期 YYYY-MM")
    cmd.add_argument("--out", required=True, type=Path, help="输出文件 .xlsx")


def run_command(args: Any, settings: Settings) -> int:
    catalog = load_catalog(settings.catalog_dir)
    try:
        period = Period.parse(args.period)
        deadline = (settings.submission_deadline_day, settings.submission_deadline_hour)
        head = FormHead(settings.form_number, settings.form_issuer, settings.form_approval)
        path = write_template(
            args.out, catalog=catalog, unit=args.unit, period=period, deadline=deadline, head=head
        )
    except TemplateError as exc:
        raise OperatorError("bad_unit", str(exc)) from exc
    except OSError as exc:
        raise OperatorError("write_failed", f"无法写出 {args.out}：{exc.strerror}") from exc
    print(path)
    return 0
