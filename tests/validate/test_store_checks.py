"""Validation with the store, on SQLite and PostgreSQL: the history suite at load time, every
result and GE document stored with the submission, validation_warning alerts that an
explanation (上报说明) resolves and a changed resubmission reopens, and the Data Docs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from jzplan.alert.explanations import ExplanationError, open_warnings, record_explanation
from jzplan.core.periods import Period
from jzplan.core.submissions import ParsedSubmission
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.template import FIRST_DATA_ROW, write_template
from jzplan.month.loading import IngestOutcome, load_prepared
from jzplan.month.prepare import PreparedFile
from jzplan.month.refresh import refresh_period
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import load_plan
from jzplan.store.alerts import read_alerts
from jzplan.store.models import (
    ValidationDocumentRow,
    ValidationExplanationRow,
    ValidationResultRow,
)
from jzplan.store.reference import sync_reference
from jzplan.store.submissions import load_submission, record_submission
from jzplan.track.progress import Thresholds
from jzplan.validate.datadocs import start_data_docs
from jzplan.validate.validator import SubmissionValidator
from tests.validate.cases import (
    DEFECTS,
    EXPECTATIONS,
    FILE,
    PERIOD,
    ROOT,
    UNIT,
    _period,
    _t,
    good_rows,
    row_of,
    submission,
)

KEY = f"validation:{PERIOD}:{UNIT}:mom_jump:ind_output"
MONTH = Period.parse(PERIOD)


@pytest.fixture
def store(engine: Engine, catalog: Catalog) -> Engine:
    """The unit's accepted history from 2011-01 to the month before PERIOD (no GE: direct)."""
    sync_reference(engine, catalog, load_plan(ROOT / "data" / "targets" / "2013.yaml", catalog))
    for t in range(_t("2011-01"), _t(PERIOD)):
        parsed = submission(good_rows(catalog, _period(t)), _period(t))
        sub_id = record_submission(
            engine,
            sha256=f"{t:064d}",
            file_name=f"history-{t}.xlsx",
            archive_path="-",
            arrival_period=_period(t),
            received_at=datetime(2013, 1, 1, tzinfo=UTC),
            org_unit=UNIT,
            period=_period(t),
            filed_on=None,
        )
        load_submission(engine, sub_id, parsed.frame)
    return engine


def _load(
    engine: Engine, validator: SubmissionValidator, parsed: ParsedSubmission, sha: str
) -> IngestOutcome:
    report = validator.validate(parsed)  # the file suites, as prepare_file runs them
    prepared = PreparedFile(
        path=parsed.path,
        sha256=sha,
        archive_path=Path("-"),
        parsed=parsed,
        issues=report.issues,
        results=tuple(r.as_row() for r in report.results),
        documents=report.documents,
    )
    # each file received a day after the one before (by its sha: a, b, c …), as a
    # resubmission is: with the same receipt and no filing date, two files of one unit's
    # month with other figures would both be held (jzplan.store.currency)
    day = 3 + ord(sha[0]) - ord("a")
    return load_prepared(
        prepared,
        bind=engine,
        arrival=Period.parse(PERIOD),
        received_at=datetime(2013, 4, day, tzinfo=UTC),
        validator=validator,
    )


def _refresh(engine: Engine, catalog: Catalog) -> None:
    refresh_period(
        engine, catalog=catalog, plan=None, period=Period.parse(PERIOD), thresholds=Thresholds()
    )


def _alert(engine: Engine, key: str = KEY) -> dict[str, object]:
    alerts = read_alerts(engine)
    return dict(alerts[alerts["dedup_key"] == key].iloc[0])


def test_warning_alert_explained_then_asked_again(
    store: Engine, validator: SubmissionValidator, catalog: Catalog, tmp_path: Path
) -> None:
    engine = store
    jump, _, _ = DEFECTS["mom_jump"]
    first = _load(engine, validator, submission(jump(good_rows(catalog))), "a" * 64)
    assert first.status == "accepted" and first.warnings >= 1 and first.errors == 0
    with engine.connect() as conn:
        rules = conn.scalar(
            select(func.count()).where(ValidationResultRow.submission_id == first.submission_id)
        )
        docs = conn.scalar(
            select(func.count()).where(ValidationDocumentRow.submission_id == first.submission_id)
        )
    assert rules == 18 and docs == 3  # every rule, every suite (history ones at load time)

    _refresh(engine, catalog)
    alert = _alert(engine)
    assert alert["kind"] == "validation_warning" and alert["resolved"] is None
    assert "工业总产值" in str(alert["message"]) and "情况说明" in str(alert["message"])
    assert {w["key"] for w in open_warnings(engine, MONTH, catalog)} >= {KEY}

    with pytest.raises(ExplanationError):
        record_explanation(
            engine, catalog=catalog, org_unit=UNIT, period=MONTH, indicator="gdp",
            text="无", explained_on=date(2013, 4, 5),
        )  # fmt: skip
    done = record_explanation(
        engine, catalog=catalog, org_unit=UNIT, period=MONTH, indicator="ind_output",
        text="新企业投产，产值大幅增加", explained_by="王某", explained_on=date(2013, 4, 5),
    )  # fmt: skip
    assert "mom_jump" in done["rules"] and done["resolved"] >= 1
    assert _alert(engine)["resolved"] == PERIOD
    _refresh(engine, catalog)  # the next recompute keeps it resolved
    assert _alert(engine)["resolved"] == PERIOD

    # a resubmission with the same figure: the explanation still holds
    same = _load(engine, validator, submission(jump(good_rows(catalog))), "b" * 64)
    assert same.status == "accepted" and same.submission_id != first.submission_id
    _refresh(engine, catalog)
    assert _alert(engine)["resolved"] == PERIOD

    # a resubmission that changes the figure and still jumps: asked for again
    bigger = DEFECTS["mom_jump"][0]
    rows = bigger(good_rows(catalog))
    row = next(r for r in rows if r["indicator"] == "ind_output")
    row["value"] = float(row["value"]) + 1000.0  # type: ignore[arg-type]
    row["value_month"] = float(row["value_month"]) + 1000.0  # type: ignore[arg-type]
    _load(engine, validator, submission(rows), "c" * 64)
    _refresh(engine, catalog)
    alert = _alert(engine)
    assert alert["resolved"] is None and "重新说明" in str(alert["message"])

    index = start_data_docs(
        engine,
        [first.submission_id, same.submission_id],
        tmp_path / "docs",
        EXPECTATIONS,
        run_name="test",
    ).wait()
    assert index.is_file()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == 6  # 2 submissions x 3 suites
    assert "township_history" in index.read_text(encoding="utf-8")


def test_rejected_submission_keeps_every_rule_result(
    store: Engine, validator: SubmissionValidator, catalog: Catalog
) -> None:
    broken, _, _ = DEFECTS["ytd_decreased"]  # found only against the store
    out = _load(store, validator, submission(broken(good_rows(catalog))), "d" * 64)
    assert out.status == "rejected" and out.errors >= 1
    with store.connect() as conn:
        rows = dict(
            conn.execute(
                select(ValidationResultRow.rule, ValidationResultRow.success).where(
                    ValidationResultRow.submission_id == out.submission_id
                )
            ).all()
        )
    assert len(rows) == 18 and not rows["ytd_decreased"]
    assert rows["parts_sum_to_whole"]  # the rules it passed are stored too


def test_history_messages_quote_the_office_unit(
    store: Engine, validator: SubmissionValidator, catalog: Catalog
) -> None:
    """A 亿元 indicator written in 万元: the history message quotes 万元, as written."""
    rows = good_rows(catalog)
    gdp = row_of(rows, "gdp")
    gdp["raw_unit"] = "万元"
    value, month = float(gdp["value"]), float(gdp["value_month"])  # type: ignore[arg-type]
    prev = value - month
    gdp["value_month"] = month + 0.1  # 1000 万元 more than 累计 − 上月累计
    out = _load(store, validator, submission(rows), "e" * 64)
    assert out.status == "rejected"
    (message,) = [m for m in out.messages if "[month_not_ytd_difference]" in m]

    def wan(x: float) -> str:
        return f"{x * 1e4:.4f}".rstrip("0").rstrip(".") + " 万元"

    assert f"数值：{wan(value)}；" in message
    assert f"本月数 {wan(month + 0.1)}，上月累计 {wan(prev)}，本月数应为 {wan(month)}" in message
    assert "亿元" not in message and f"{value:.4f}".rstrip("0") not in message


def test_a_forms_explanation_column_explains_its_warning(
    store: Engine, validator: SubmissionValidator, catalog: Catalog
) -> None:
    """The 情况说明 written beside a figure that trips a warning is stored as that warning's
    explanation at load: no alert asks for it; a text on a row with no warning stores nothing."""
    jump, _, _ = DEFECTS["mom_jump"]
    parsed = submission(jump(good_rows(catalog)))
    parsed.filed_by, parsed.filed_on = "赵六", date(2013, 4, 3)
    parsed.explanations = {"ind_output": "新企业投产，产值大幅增加", "gdp": "正常"}
    out = _load(store, validator, parsed, "f" * 64)
    assert out.status == "accepted" and out.warnings >= 1
    _refresh(store, catalog)
    assert KEY not in {w["key"] for w in open_warnings(store, MONTH, catalog)}
    assert not (read_alerts(store)["dedup_key"] == KEY).any()
    with store.connect() as conn:
        stored = conn.execute(
            select(
                ValidationExplanationRow.rule,
                ValidationExplanationRow.indicator_code,
                ValidationExplanationRow.text,
                ValidationExplanationRow.explained_by,
                ValidationExplanationRow.explained_on,
            )
        ).all()
    # every warning rule on that figure (the 5x month also jumps year over year), no other
    assert {r[0] for r in stored} == {"mom_jump", "yoy_jump"}
    assert {r[1:] for r in stored} == {
        ("ind_output", "新企业投产，产值大幅增加", "赵六", date(2013, 4, 3))
    }

    # the same figure in a later file without the column: the explanation still holds
    again = _load(store, validator, submission(jump(good_rows(catalog))), "g" * 64)
    assert again.status == "accepted"
    _refresh(store, catalog)
    assert KEY not in {w["key"] for w in open_warnings(store, MONTH, catalog)}


def test_a_filled_template_explains_its_jump_end_to_end(
    store: Engine, validator: SubmissionValidator, catalog: Catalog, tmp_path: Path
) -> None:
    """The blank form filled in as an office would (openpyxl), with a 5x month and its 情况说明:
    parsed, checked against the store, accepted, the jump explained, no alert."""
    path = write_template(tmp_path / FILE, catalog=catalog, unit=UNIT, period=MONTH)
    wb = openpyxl.load_workbook(path)
    ws = wb["月报"]
    reports = list(catalog.unit(UNIT).reports)
    rows = DEFECTS["mom_jump"][0](good_rows(catalog))
    for row in rows:
        r = FIRST_DATA_ROW + reports.index(str(row["indicator"]))
        month = row["value_month"]
        ws[f"D{r}"] = None if month != month else month  # NaN: a stock has no 本月
        ws[f"E{r}"] = row["value"]
    ws[f"H{FIRST_DATA_ROW + reports.index('ind_output')}"] = "新企业投产，产值大幅增加"
    foot = FIRST_DATA_ROW + len(reports) + 1
    ws[f"G{foot}"], ws[f"E{foot + 1}"] = "赵六", datetime(2013, 4, 3)
    wb.save(path)

    parsed = parse_submission(path, catalog, arrival=MONTH)
    assert parsed.errors == [] and parsed.explanations == {"ind_output": "新企业投产，产值大幅增加"}
    assert "row_explanation" in {i.code for i in parsed.issues}  # the text stays visible
    out = _load(store, validator, parsed, "h" * 64)
    assert out.status == "accepted" and "[mom_jump]" in "".join(out.messages)
    _refresh(store, catalog)
    assert KEY not in {w["key"] for w in open_warnings(store, MONTH, catalog)}
    with store.connect() as conn:
        who = conn.execute(
            select(ValidationExplanationRow.explained_by, ValidationExplanationRow.explained_on)
        ).all()
    assert set(who) == {("赵六", date(2013, 4, 3))} and len(who) >= 1
