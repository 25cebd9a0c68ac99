"""SQLAlchemy 2 typed models. Every table the monthly flow reads or writes.

Rows that a rerun recomputes carry no wall-clock timestamps, so running the same month
twice leaves the database identical; time is recorded as reporting periods instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Columns of an aggregate frame (jzplan.track.aggregate), as the aggregate table holds them
AGGREGATE_COLUMNS = ["org_unit", "indicator", "value", "n_reported", "n_expected", "provisional"]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def text_lengths(model: type[Base]) -> dict[str, int]:
    """The most characters each bounded text column (``String(n)``) of ``model`` holds, by
    column name: what a reader checks a value against before the database sees it."""
    return {
        column.name: column.type.length
        for column in model.__table__.columns
        if isinstance(column.type, String) and column.type.length is not None
    }


class OrgUnitRow(Base):
    __tablename__ = "org_unit"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("org_unit.code"))


class IndicatorRow(Base):
    __tablename__ = "indicator"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    measure: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    aggregation: Mapped[str] = mapped_column(String(16))
    weight_code: Mapped[str | None] = mapped_column(String(64))
    formula: Mapped[str | None] = mapped_column(String(256))
    group_name: Mapped[str] = mapped_column(String(16))


class TargetRow(Base):
    __tablename__ = "target"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    group_name: Mapped[str] = mapped_column(String(32))
    scope_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    indicator_code: Mapped[str | None] = mapped_column(ForeignKey("indicator.code"))
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(128))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    comparison: Mapped[str] = mapped_column(String(2))
    baseline: Mapped[float | None] = mapped_column(Float)
    growth_pct: Mapped[float | None] = mapped_column(Float)
    deadline: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)


class SubmissionRow(Base):
    """One received file. Never deleted: rejected and superseded files stay, with reasons."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    archive_path: Mapped[str] = mapped_column(String(512))
    # Identity read from the file's contents; null when the file could not be parsed that far
    org_unit_code: Mapped[str | None] = mapped_column(ForeignKey("org_unit.code"))
    period: Mapped[str | None] = mapped_column(String(7))
    # The batch (inbox folder) the file arrived with; later than `period` when it came late
    arrival_period: Mapped[str] = mapped_column(String(7))
    filed_on: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # received|rejected|accepted|superseded
    version: Mapped[int] = mapped_column(Integer, default=1)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # Metadata of the received file (migration 0002_ingest_lifecycle); null on older rows
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    source_path: Mapped[str | None] = mapped_column(String(512))  # e.g. 2013-06/x.xlsx
    file_format: Mapped[str | None] = mapped_column(String(8))  # xlsx|xls|csv, from content
    # The bulk file this unit's figures came in (migration 0007_bulk_files); null for a form
    bulk_file_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_file.id"))


class BulkFileRow(Base):
    """One received bulk file (CSV or Parquet, many units); its units are submission rows."""

    __tablename__ = "bulk_file"
    __table_args__ = (UniqueConstraint("sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    archive_path: Mapped[str] = mapped_column(String(512))
    arrival_period: Mapped[str] = mapped_column(String(7))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period: Mapped[str | None] = mapped_column(String(7))  # null when the file mixes periods
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    source_path: Mapped[str | None] = mapped_column(String(512))
    file_format: Mapped[str | None] = mapped_column(String(8))  # csv|parquet
    status: Mapped[str] = mapped_column(String(16))  # accepted|partial|rejected
    rows: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)  # (unit, period) pairs in the file
    units_loaded: Mapped[int] = mapped_column(Integer)  # new or changed: a new submission
    units_unchanged: Mapped[int] = mapped_column(Integer)  # same figures as the current ones
    units_rejected: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    details: Mapped[Any] = mapped_column(JSON, nullable=True)  # the file's rule results


class ObservationRow(Base):
    """One figure of one submission, in the indicator's canonical unit (long format).

    A fact table (migration 0006_fact_tables): no surrogate key, no per-row foreign keys and
    one index, so a national month of 4 million figures loads at COPY speed. The loader
    guarantees what constraints would: known units and indicators, one figure per
    (submission, indicator). The ORM identity is (submission_id, indicator_code).
    """

    __tablename__ = "observation"
    __table_args__ = (
        Index(
            "ix_observation_period_submission_id",
            "period",
            "submission_id",
            postgresql_using="brin",
        ),
    )
    __mapper_args__ = {"primary_key": ["submission_id", "indicator_code"]}  # noqa: RUF012

    submission_id: Mapped[int] = mapped_column(Integer)
    org_unit_code: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))
    indicator_code: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    value_month: Mapped[float | None] = mapped_column(Float)
    source_row: Mapped[int | None] = mapped_column(Integer)


class ValidationResultRow(Base):
    __tablename__ = "validation_result"
    __table_args__ = (UniqueConstraint("submission_id", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(128))  # stable English code
    severity: Mapped[str] = mapped_column(String(8))  # error|warning
    success: Mapped[bool] = mapped_column(Boolean)
    checked: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    details: Mapped[Any] = mapped_column(JSON)


class AggregateRow(Base):
    """A total for the area, or a rate derived for one unit, with its coverage n of N.

    A fact table like ``observation``: (org_unit_code, period, indicator_code) is unique by
    construction (both writers refuse a duplicate key), with no unique index, no surrogate
    key (0017_aggregate_no_id) and one index, the period's, a block-range one on PostgreSQL
    (0016_aggregate_period_brin): a national month is 400,000 totals written at once.
    """

    __tablename__ = "aggregate"
    __table_args__ = (Index("ix_aggregate_period", "period", postgresql_using="brin"),)
    __mapper_args__ = {"primary_key": ["org_unit_code", "period", "indicator_code"]}  # noqa: RUF012

    # no per-row foreign keys (migration 0006_fact_tables): derived from the catalog
    org_unit_code: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))
    indicator_code: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    n_reported: Mapped[int] = mapped_column(Integer)
    n_expected: Mapped[int] = mapped_column(Integer)
    provisional: Mapped[bool] = mapped_column(Boolean)


class TargetProgressRow(Base):
    __tablename__ = "target_progress"
    __table_args__ = (UniqueConstraint("target_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("target.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    actual: Mapped[float | None] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float)
    target_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    completion_pct: Mapped[float | None] = mapped_column(Float)
    # stable code, see jzplan.track.progress.STATUS_LABELS
    status: Mapped[str] = mapped_column(String(16))
    provisional: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    # issue 5 (migration 0004_tracking): seasonal pace, year-end forecast, pace still needed
    expected_seasonal: Mapped[float | None] = mapped_column(Float)
    forecast: Mapped[float | None] = mapped_column(Float)
    forecast_low: Mapped[float | None] = mapped_column(Float)
    forecast_high: Mapped[float | None] = mapped_column(Float)
    required_monthly: Mapped[float | None] = mapped_column(Float)
    pace_model: Mapped[str | None] = mapped_column(String(8))  # linear|seasonal: set the status


class AlertRow(Base):
    """Alert state, one row per cause (dedup_key); first and last seen are periods, so a rerun
    of a month changes nothing."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("dedup_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # target_status|missing_submission|validation
    severity: Mapped[str] = mapped_column(String(8))  # warning|critical
    org_unit_code: Mapped[str | None] = mapped_column(ForeignKey("org_unit.code"))
    target_id: Mapped[str | None] = mapped_column(ForeignKey("target.id"))
    message: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[str] = mapped_column(String(7))
    last_seen: Mapped[str] = mapped_column(String(7))
    resolved: Mapped[str | None] = mapped_column(String(7))


# At most one open alert per target (of any target kind: target_status, milestone_overdue):
# a month's status replaces the target's open alert, whatever order months are run in (issue 16).
OPEN_TARGET_ALERT = "resolved IS NULL AND target_id IS NOT NULL"
Index(
    "uq_alert_open_target_id",
    AlertRow.target_id,
    unique=True,
    sqlite_where=text(OPEN_TARGET_ALERT),
    postgresql_where=text(OPEN_TARGET_ALERT),
)


class StatusReportRow(Base):
    """A milestone's or qualitative target's status as its responsible office reported it
    for a month (重点工作进展), with the evidence text."""

    __tablename__ = "status_report"
    __table_args__ = (UniqueConstraint("target_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("target.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(16))  # jzplan.ingest.status_files.REPORT_STATUSES
    evidence: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str | None] = mapped_column(String(64))
    reported_on: Mapped[date | None] = mapped_column(Date)
    source_file: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))


class RankingRow(Base):
    """A published position (第N位) of a unit on a ranking indicator, from a ranking file."""

    __tablename__ = "ranking"
    __table_args__ = (UniqueConstraint("org_unit_code", "indicator_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_unit_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    out_of: Mapped[int | None] = mapped_column(Integer)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_on: Mapped[date | None] = mapped_column(Date)
    source_file: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))


class StatusFileRow(Base):
    """One received status file of a month's batch (重点工作进展.csv or 排名.csv), archived by
    sha256: what its suite found and how many of its rows loaded (migration 0008_status_files).
    The same bytes in the same month's batch are one row, whatever the reruns."""

    __tablename__ = "status_file"
    __table_args__ = (UniqueConstraint("arrival_period", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # jzplan.core.states.StatusFileKind
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    archive_path: Mapped[str] = mapped_column(String(512))
    source_path: Mapped[str] = mapped_column(String(512))  # e.g. 2013-06/排名.csv
    arrival_period: Mapped[str] = mapped_column(String(7))  # the month the rows are of
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # first receipt
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # jzplan.core.states.StatusFileOutcome
    rows: Mapped[int] = mapped_column(Integer)  # data rows in the file
    rows_loaded: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)  # every located issue, one a line
    details: Mapped[Any] = mapped_column(JSON, nullable=True)  # the suite's rule results
    # sha256 of what the suite read (jzplan.validate.status_checks.StatusChecker); with every
    # rule passed, a rerun reuses ``details`` instead of running GE (migration 0015)
    checked_with: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AlertEventRow(Base):
    """Outbox of alert transitions (opened/resolved), one row per transition and period, so a
    rerun adds nothing and an undelivered transition is retried by the next delivery."""

    __tablename__ = "alert_event"
    __table_args__ = (UniqueConstraint("dedup_key", "action", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))  # opened|resolved
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    org_unit_code: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    emitted: Mapped[bool] = mapped_column(Boolean, default=False)  # Prefect event sent
    notified: Mapped[bool] = mapped_column(Boolean, default=False)  # channels notified


# At most one accepted submission per (org unit, period): two runs loading the same month at
# once cannot both make a file current (issue 6; the store lock is the first line of defence).
ACCEPTED_SUBMISSION = "status = 'accepted'"
Index(
    "uq_submission_accepted_org_unit_code_period",
    SubmissionRow.org_unit_code,
    SubmissionRow.period,
    unique=True,
    sqlite_where=text(ACCEPTED_SUBMISSION),
    postgresql_where=text(ACCEPTED_SUBMISSION),
)


class SubmissionChangeRow(Base):
    """Audit of a corrected resubmission: each figure that differs from the submission it
    superseded (None: the figure was not in that submission). Written with the load."""

    __tablename__ = "submission_change"
    __table_args__ = (UniqueConstraint("new_submission_id", "indicator_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_unit_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    old_submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    new_submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    old_value: Mapped[float | None] = mapped_column(Float)
    new_value: Mapped[float | None] = mapped_column(Float)
    old_value_month: Mapped[float | None] = mapped_column(Float)
    new_value_month: Mapped[float | None] = mapped_column(Float)


class HeldRowRow(Base):
    """A row held out of an accepted form as a question (待确认), its cells as written, and its
    answer: mapped to an indicator or discarded, by whom and when (migration 0010)."""

    __tablename__ = "held_row"
    __table_args__ = (UniqueConstraint("submission_id", "sheet", "row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    org_unit_code: Mapped[str | None] = mapped_column(String(16))
    period: Mapped[str | None] = mapped_column(String(7), index=True)
    sheet: Mapped[str] = mapped_column(String(255))
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    name_written: Mapped[str] = mapped_column(Text)
    unit_written: Mapped[str | None] = mapped_column(Text)
    value_written: Mapped[str | None] = mapped_column(Text)
    month_written: Mapped[str | None] = mapped_column(Text)
    hints: Mapped[Any] = mapped_column(JSON, nullable=True)  # closest catalog names
    explanation: Mapped[str | None] = mapped_column(Text)  # the row's 情况说明
    status: Mapped[str] = mapped_column(String(16))  # QuestionStatus: open|mapped|discarded
    indicator_code: Mapped[str | None] = mapped_column(String(64))  # the answer, when mapped
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_note: Mapped[str | None] = mapped_column(Text)


class ValidationDocumentRow(Base):
    """Great Expectations' own validation result (JSON) of one suite on one submission: what
    the Data Docs render (issue 4)."""

    __tablename__ = "validation_document"
    __table_args__ = (UniqueConstraint("submission_id", "suite"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    suite: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[Any] = mapped_column(JSON)


class ValidationExplanationRow(Base):
    """An office's explanation (上报说明) of a warning on one figure of its submission; it holds
    for that figure only: a resubmission that changes the figure asks for it again (issue 4)."""

    __tablename__ = "validation_explanation"
    __table_args__ = (UniqueConstraint("submission_id", "rule", "indicator_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    org_unit_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    rule: Mapped[str] = mapped_column(String(128))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    value: Mapped[float | None] = mapped_column(Float)  # the figure explained
    text: Mapped[str] = mapped_column(Text)
    explained_by: Mapped[str | None] = mapped_column(String(64))
    explained_on: Mapped[date] = mapped_column(Date)


# Tables of their own modules, imported so that Base.metadata (migrations, tests) has them
from jzplan.store import alert_deliveries as _alert_deliveries  # noqa: E402, F401
from jzplan.store import channel_states as _channel_states  # noqa: E402, F401
from jzplan.store import month_states as _month_states  # noqa: E402, F401
from jzplan.store import office_deliveries as _office_deliveries  # noqa: E402, F401
from jzplan.store import office_messages as _office_messages  # noqa: E402, F401
