"""The month's status files (重点工作进展.csv, 排名.csv) checked ahead: their suites run in
the helper process (``SharedValidator.ahead``) while the run parses, validates and loads its
forms, and the month's load takes the findings from there (``StatusChecker.ahead``).

The helper parses each file as the load will and runs its suite with its own validator
(``jzplan.validate.status_checks.status_findings``); what it returns is each file's findings
under the digest of everything the suite's outcome depends on (``check_digest``: the suite,
the frame, the parameters). The load parses the file again (cheap), computes the digest, and
uses the helper's findings only under the same digest: a file changed since, or a helper that
failed, leaves the suite to the load, as before."""

from __future__ import annotations

from pathlib import Path

from jzplan.core.periods import Period
from jzplan.core.states import StatusFileKind
from jzplan.ingest.regular_files import InboxRefusal, read_regular
from jzplan.ingest.status_files import TableFindings, discover_status_files
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.store import tracking
from jzplan.validate.shared import Ahead, SharedValidator
from jzplan.validate.status_checks import status_findings


def check_status_ahead(
    inbox: Path, period: Period, plan: Plan, catalog: Catalog, validator: SharedValidator
) -> Ahead[dict[str, TableFindings]] | None:
    """The month's status files sent to the run's helper to be checked ahead; None when none
    arrived or the run has no helper (a file that cannot be read now is left to the load,
    which says why)."""
    if not validator.helped():  # nothing is read for a helper that is not there
        return None
    files: list[tuple[StatusFileKind, Path, bytes]] = []
    for kind, path in zip(StatusFileKind, discover_status_files(inbox, period), strict=True):
        if path is None:
            continue
        try:
            files.append((kind, path, read_regular(path)))
        except (InboxRefusal, OSError):
            continue
    if not files:
        return None
    lengths = tracking.status_lengths()
    return validator.ahead(status_findings, files, period, plan, catalog, lengths)
