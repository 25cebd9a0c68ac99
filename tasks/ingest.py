"""One task per submission file: archive, parse, validate, load or reject."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from jzplan.periods import Period
from jzplan.pipeline import IngestOutcome, discover_submissions, ingest_file
from jzplan.resources import Resources


@task(name="discover-submissions", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def discover(inbox_dir: Path, arrival: Period) -> list[Path]:
    files = discover_submissions(inbox_dir, arrival)
    get_run_logger().info("%s：收到 %d 个文件（%s）", arrival, len(files), inbox_dir / str(arrival))
    return files


@task(
    name="ingest-submission",
    task_run_name="ingest-{path.stem}",
    retries=2,
    retry_delay_seconds=2,
    cache_policy=NO_CACHE,
)
def ingest(path: Path, resources: Resources, arrival: Period) -> IngestOutcome:
    outcome = ingest_file(
        path,
        engine=resources.engine,
        catalog=resources.catalog,
        validator=resources.validator,
        archive_dir=resources.settings.archive_dir,
        arrival=arrival,
        received_at=datetime.now(UTC),
    )
    logger = get_run_logger()
    if outcome.status == "rejected":
        for message in outcome.messages:
            logger.warning(message)
    logger.info(
        "%s：%s（单位 %s，报告期 %s，错误 %d，警告 %d）",
        outcome.file,
        {"accepted": "已接收", "rejected": "已退回", "duplicate": "重复文件，已忽略"}[
            outcome.status
        ],
        outcome.org_unit,
        outcome.period,
        outcome.errors,
        outcome.warnings,
    )
    return outcome
