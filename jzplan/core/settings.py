"""One settings object: everything configurable comes from ``JZPLAN_*`` environment variables."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from jzplan.core.limits import DEFAULT_LIMITS as _L
from jzplan.core.limits import Limits

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JZPLAN_", env_file=".env", extra="ignore")

    # The one switch for the store: a SQLite file by default, PostgreSQL in production.
    database_url: str = Field(default=f"sqlite:///{PROJECT_ROOT / 'var' / 'jzplan.db'}")
    data_dir: Path = PROJECT_ROOT / "data"
    # Where monthly submissions arrive: <inbox_dir>/<YYYY-MM>/*.xlsx
    inbox_dir: Path = PROJECT_ROOT / "data" / "inbox"
    expectations_dir: Path = PROJECT_ROOT / "expectations"
    # Immutable copies of every received file, by sha256
    archive_dir: Path = PROJECT_ROOT / "var" / "archive"
    # Reports written by each run: progress-YYYY-MM.md / .html / .xlsx
    report_dir: Path = PROJECT_ROOT / "var" / "reports"
    # Where report_dir is served (a web server or shared drive, e.g.
    # http://intranet/jzplan/reports/): the run's report artifact links there; unset, it
    # links the file itself (file://)
    report_base_url: str | None = None
    # The monthly run also prints each month's report to PDF (progress-YYYY-MM.pdf) with
    # headless Chromium; off by default so test and demo runs start no browser per month
    # (jzplan report --pdf prints one month on demand)
    report_pdf: bool = False
    # The Chromium that prints PDFs (Debian's package: apt-get install chromium fonts-noto-cjk)
    chromium: Path = Field(
        default_factory=lambda: Path(shutil.which("chromium") or "/usr/bin/chromium")
    )
    plan_year: int = 2013
    # The head of the blank monthly form (jzplan template): 表号, 制定机关, 批准文号
    form_number: str = "焦新统月1表"
    form_issuer: str = "焦作新区统计局"
    form_approval: str = ""

    # Status thresholds on the ratio actual / expected-to-date (1.0 = exactly on pace)
    at_risk_ratio: float = 0.95  # below pace but at least this → 预警; below it → 滞后
    # For growth targets: percentage points below the target growth that still count as 预警
    growth_at_risk_points: float = 3.0

    # --- tracking and alerts (issue 5) ---
    # Which expected-to-date decides a status: the indicator's own monthly profile of last
    # year (seasonal; linear where there is no profile) or 时间过半、任务过半 (linear)
    pace_model: Literal["seasonal", "linear"] = "seasonal"
    # A ranking at most this many places worse than the target is 预警, beyond it 滞后
    ranking_at_risk_places: int = 2
    # Year-end forecast range: ± this share of the forecast per unit of the year still to come
    forecast_band: float = 0.15
    # Deadband against flapping: leaving 滞后/预警 needs this share of pace beyond the boundary
    status_hysteresis: float = 0.03
    # 1-2月 are judged together (Spring Festival): target alerts start with this month
    alert_from_month: int = Field(default=2, ge=1, le=12)
    # Submission deadline: this day of the next month at this hour, in `timezone`
    submission_deadline_day: int = Field(default=5, ge=1, le=28)
    submission_deadline_hour: int = Field(default=17, ge=0, le=23)
    timezone: str = "Asia/Shanghai"
    # Reminder (催报) to each unit without an accepted form: this day of the next month at this
    # hour, in `timezone` (the reminder deployment's cron in prefect.yaml must agree)
    reminder_day: int = Field(default=3, ge=1, le=28)
    reminder_hour: int = Field(default=9, ge=0, le=23)
    # The pipeline watched (flows/automations.py): the scheduled monthly run must have
    # completed by this day and hour of its month, in `timezone` (the window of the
    # "not completed" automation runs from its cron in prefect.yaml to here), and a
    # deadline-check run within this many minutes of its start
    monthly_due_day: int = Field(default=6, ge=1, le=28)
    monthly_due_hour: int = Field(default=12, ge=0, le=23)
    deadline_check_grace_minutes: int = Field(default=120, ge=1)
    # Receipts (回执) of each run's files: <receipt_dir>/<YYYY-MM>/<unit>-<file>.md; unset,
    # the folder `receipts` next to report_dir
    receipt_dir: Path | None = None
    # Notification channels (webhook, DingTalk, WeCom, email); secrets are named, never stored
    alert_channels_file: Path = PROJECT_ROOT / "data" / "alerting" / "channels.yaml"
    # The mail server of email channels that do not name their own (channels.yaml may still
    # set smtp_host, smtp_port, tls, username, password per channel). TLS: none, starttls, or
    # ssl (SMTP over TLS); port unset: 25, 587 or 465 by TLS mode
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # A failing channel waits this long before its next attempt, doubling after each
    # consecutive failure up to the cap (jzplan.alert.backoff; deliver-pending every 15 min)
    delivery_backoff_first_minutes: float = Field(default=15.0, gt=0)
    delivery_backoff_cap_minutes: float = Field(default=360.0, gt=0)
    # What a finding in one row of a form does: reject the file, hold the row as a question,
    # or note it (jzplan.ingest.cell_policy; read once at the start of each monthly run)
    findings_file: Path = PROJECT_ROOT / "expectations" / "findings.yaml"
    # A late file may still change an unreleased month at most this many months before its
    # batch; one older is kept as a pending correction, as for a released month (0: no window)
    correction_window_months: int = Field(default=3, ge=0)

    # --- operations (issue 6) ---
    # Where the per-submission tasks (archive, parse, validate) run: threads of the flow's
    # process, or a Dask cluster through prefect-dask (loading stays serial, in one transaction)
    task_runner: Literal["thread", "dask"] = "thread"
    # An existing Dask scheduler (tcp://host:8786); empty: a temporary local cluster per run
    dask_address: str | None = None
    dask_workers: int = Field(default=2, ge=1)
    # Local cluster workers as processes (real parallelism) or threads of this process
    dask_processes: bool = True
    # How long a run waits for another run of the same store to finish its transaction
    lock_timeout_seconds: float = Field(default=600.0, gt=0)

    # --- validation (issue 4) ---
    # Great Expectations' static Data Docs, one site per monthly run: <dir>/<YYYY-MM>/index.html
    data_docs_dir: Path = PROJECT_ROOT / "var" / "data_docs"
    # A run that validates new files builds its Data Docs in a helper process on the other
    # core while it writes its reports (jzplan.validate.docs_helper); off: in the run's own
    data_docs_helper: bool = True
    # History bounds (jzplan.validate.history_checks): median ± k·MAD of the unit's own changes ...
    outlier_k: float = Field(default=5.0, gt=0)
    # ... learned from at least this many past changes (fewer: no check)
    outlier_min_history: int = Field(default=6, ge=2)
    # ... and never narrower than this factor either way (month over month, year over year)
    outlier_mom_min_factor: float = Field(default=2.0, gt=1)
    outlier_yoy_min_factor: float = Field(default=1.5, gt=1)

    # --- limits on one submitted file (issue 16; jzplan.core.limits, docs/ingest.md) ---
    # bytes of a form (.xlsx/.xls/.csv of one unit) and of a bulk file (.csv/.parquet)
    limit_form_bytes: int = Field(default=_L.form_max_bytes, gt=0)
    limit_bulk_bytes: int = Field(default=_L.bulk_max_bytes, gt=0)
    # an .xlsx's members uncompressed, all together, and each one's compression ratio
    limit_xlsx_uncompressed_bytes: int = Field(default=_L.xlsx_max_uncompressed_bytes, gt=0)
    limit_xlsx_ratio: float = Field(default=_L.xlsx_max_ratio, gt=1)
    # rows and columns a form's sheet or CSV actually holds; characters in a CSV form's cell
    limit_form_rows: int = Field(default=_L.form_max_rows, gt=0)
    limit_form_columns: int = Field(default=_L.form_max_columns, gt=0)
    limit_form_field_chars: int = Field(default=_L.form_max_field_chars, gt=0)
    # |figure| in its indicator's canonical unit
    limit_abs_value: float = Field(default=_L.max_abs_value, gt=0)
    # unknown indicator names: distinct names given suggestions; unknown rows before refusal
    limit_unknown_names_suggested: int = Field(default=_L.unknown_names_suggested, ge=0)
    limit_unknown_rows: int = Field(default=_L.unknown_rows_max, gt=0)
    # located issues of one code listed per bulk file
    limit_bulk_issues: int = Field(default=_L.bulk_max_issues, gt=0)

    def limits(self) -> Limits:
        """The limits one submitted file is read under."""
        return Limits(
            form_max_bytes=self.limit_form_bytes,
            bulk_max_bytes=self.limit_bulk_bytes,
            xlsx_max_uncompressed_bytes=self.limit_xlsx_uncompressed_bytes,
            xlsx_max_ratio=self.limit_xlsx_ratio,
            form_max_rows=self.limit_form_rows,
            form_max_columns=self.limit_form_columns,
            form_max_field_chars=self.limit_form_field_chars,
            max_abs_value=self.limit_abs_value,
            unknown_names_suggested=self.limit_unknown_names_suggested,
            unknown_rows_max=self.limit_unknown_rows,
            bulk_max_issues=self.limit_bulk_issues,
        )

    @property
    def receipts_dir(self) -> Path:
        return self.receipt_dir or self.report_dir.parent / "receipts"

    @property
    def catalog_dir(self) -> Path:
        return self.data_dir / "catalog"

    def plan_file(self, year: int | None = None) -> Path:
        return self.data_dir / "targets" / f"{year or self.plan_year}.yaml"
