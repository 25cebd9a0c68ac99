"""One settings object: everything configurable comes from ``JZPLAN_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    # Markdown reports written by each run
    report_dir: Path = PROJECT_ROOT / "var" / "reports"
    plan_year: int = 2013

    # Status thresholds on the ratio actual / expected-to-date (1.0 = exactly on pace)
    at_risk_ratio: float = 0.95  # below pace but at least this → 预警; below it → 滞后
    # For growth targets: percentage points below the target growth that still count as 预警
    growth_at_risk_points: float = 3.0

    @property
    def catalog_dir(self) -> Path:
        return self.data_dir / "catalog"

    def plan_file(self, year: int | None = None) -> Path:
        return self.data_dir / "targets" / f"{year or self.plan_year}.yaml"
