"""Bulk files for the tests: the June forms' figures as one CSV of many units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jzplan.core.periods import Period
from jzplan.ingest.form_parser import parse_submission
from jzplan.ingest.inbox import discover_submissions
from jzplan.reference.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "data" / "inbox"
MONTH = Period(2013, 6)
HEADER = {"org_unit": "单位代码", "period": "报告期", "indicator": "指标代码",
          "value": "本期累计", "value_month": "本月", "unit": "计量单位"}  # fmt: skip


def june_figures(catalog: Catalog) -> pd.DataFrame:
    """The six townships' and DIR's June forms, parsed: what a bulk file of them holds."""
    frames = [parse_submission(p, catalog).frame for p in discover_submissions(INBOX, MONTH)]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["period"] == str(MONTH)].reset_index(drop=True)  # not the late May form
    assert frame["org_unit"].nunique() == 7
    return frame


def bulk_csv(figures: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figures[list(HEADER)].rename(columns=HEADER).to_csv(path, index=False, encoding=encoding)
    return path
