"""The month's stages under their old module name, for ``bench/run.py`` until it imports
them from ``jzplan.month.prepare``, ``loading`` and ``refresh``; nothing else uses it."""

from jzplan.month.loading import IngestOutcome, ingest_file, load_prepared
from jzplan.month.prepare import PreparedFile, prepare_file
from jzplan.month.refresh import PeriodOutcome, refresh_aggregates, refresh_period, refresh_tracking

__all__ = [
    "IngestOutcome",
    "PeriodOutcome",
    "PreparedFile",
    "ingest_file",
    "load_prepared",
    "prepare_file",
    "refresh_aggregates",
    "refresh_period",
    "refresh_tracking",
]
