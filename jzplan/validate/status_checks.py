"""The GE suites of the month's status files: ``status_progress`` (重点工作进展.csv) and
``status_ranking`` (排名.csv), kept as GE's JSON in ``expectations/`` and run in the run's one
GE context (``SharedValidator``).

The suite sees the file's own columns (stripped text, an empty cell an empty string) and the
columns its rules read (``status_frame``: plan and catalog membership, dates that parse,
positions as numbers). Each failing row becomes a located ``SubmissionIssue`` (file, line,
column, the rule's stable code, a Chinese message from the rule's ``meta``); a cell is named
once, by the first rule of the suite that fails on it. A table rule that fails (columns
missing, no data row) refuses the file whole. The key rules (``duplicate_…``) count only the
rows no other rule holds: they run a second time when both kinds failed. The parser's own row checks
(``jzplan.ingest.status_files``) then see only the rows the suite let through.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from jzplan.core.periods import Period
from jzplan.core.states import StatusFileKind
from jzplan.core.submissions import SubmissionIssue
from jzplan.ingest.status_files import (
    StatusTable,
    TableFindings,
    missing_columns,
    parse_date,
    parse_of_kind,
    ranking_codes,
    shown,
)
from jzplan.reference.catalog import Catalog
from jzplan.reference.plan import Plan
from jzplan.validate.messages import issue_detail
from jzplan.validate.results import MAX_DETAILS, RuleResult, severity_of
from jzplan.validate.shared import Suites
from jzplan.validate.validator import (
    PROGRESS_SUITE,
    RANKING_SUITE,
    SubmissionValidator,
    columns_read,
)

SUITE_OF = {StatusFileKind.PROGRESS: PROGRESS_SUITE, StatusFileKind.RANKING: RANKING_SUITE}
TABLE_RULES = ("missing_columns", "empty_status_file")
KEY_RULE_PREFIX = "duplicate_"


def _valid_date(text: str) -> bool:
    try:
        parse_date(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> float | None:
    """位次 or 参评总数 written in digits as a number (past float range: inf), else None."""
    return float(text) if text.isdecimal() else None


def status_frame(table: StatusTable, *, plan: Plan, catalog: Catalog) -> pd.DataFrame:
    """The file's columns and the columns the suite of its kind reads, a row per data row."""
    # the columns the suite knows (extra columns of the office's are not read)
    own = [c for c in table.columns if c in table.header]
    frame = pd.DataFrame([{c: r[c] for c in own} for r in table.rows], columns=own, dtype=object)
    frame.insert(0, "line", list(table.lines))
    rows = list(table.rows)
    if table.kind == StatusFileKind.PROGRESS:
        kinds = {t.id: t.kind for t in plan.targets}
        ids = [r.get("目标编号", "") for r in rows]
        known = [kinds.get(i) in ("milestone", "qualitative") for i in ids]
        frame["target_known"] = known
        frame["target_key"] = pd.Series(
            [i if k else None for i, k in zip(ids, known, strict=True)], dtype=object
        )
        frame["reported_on_valid"] = [_valid_date(r.get("报送日期", "")) for r in rows]
        return frame
    codes = [ranking_codes(catalog, r) for r in rows]
    frame["unit_code"] = pd.Series([u for u, _ in codes], dtype=object)
    frame["indicator_code"] = pd.Series([c for _, c in codes], dtype=object)
    frame["unit_known"] = [u is not None for u, _ in codes]
    frame["indicator_known"] = [c is not None for _, c in codes]
    frame["rank_value"] = pd.Series([_number(r.get("位次", "")) for r in rows], dtype=float)
    frame["out_of_value"] = pd.Series([_number(r.get("参评总数", "")) for r in rows], dtype=float)
    frame["published_on_valid"] = [_valid_date(r.get("发布日期", "")) for r in rows]
    return frame


def suite_parameters(lengths: Mapping[str, int]) -> dict[str, int]:
    """``max_<column>`` for each bounded text column of the store (the suites' $PARAMETERs)."""
    return {f"max_{name}": int(n) for name, n in lengths.items()}


@dataclass(frozen=True, slots=True)
class StatusChecker:
    """The suites as the parser's ``TableCheck``: one GE validation per file, in the run's
    context. ``lengths``: the store's text lengths of each kind's rows."""

    validator: Suites  # the run's SharedValidator: here, or in its helper process
    plan: Plan
    catalog: Catalog
    lengths: Mapping[StatusFileKind, Mapping[str, int]]
    # the rule results of a file checked clean under a digest (``check_digest``), or None: the
    # store's status_file (``jzplan.store.status_files.clean_check_results``)
    known: Callable[[str], Sequence[Mapping[str, Any]] | None] | None = None
    # the findings the run's helper found ahead, by digest (``jzplan.month.status_ahead``), or
    # None (none: not sent, or failed)
    ahead: Callable[[], Mapping[str, TableFindings] | None] | None = None

    def __call__(self, table: StatusTable) -> TableFindings:
        frame = status_frame(table, plan=self.plan, catalog=self.catalog)
        parameters = suite_parameters(self.lengths.get(table.kind, {}))
        name = SUITE_OF[table.kind]
        digest = check_digest(self.validator.expectations_dir, name, frame, parameters)
        if self.known is not None and (results := self.known(digest)) is not None:
            # the suite read exactly this before and every rule passed: it would again (a
            # rerun of a month need not build a GE context for its status files)
            return TableFindings(results=tuple(dict(r) for r in results), checked_with=digest)
        found_ahead = self.ahead() if self.ahead is not None else None
        if found_ahead is not None and digest in found_ahead:
            return found_ahead[digest]  # the same suite on the same frame, in the helper
        found = self._run(name, table, frame, parameters)
        return dataclasses.replace(found, checked_with=digest)

    def _run(
        self, name: str, table: StatusTable, frame: pd.DataFrame, parameters: dict[str, int]
    ) -> TableFindings:
        return self.validator.call(run_status_suite, name, table, frame, parameters)


def run_status_suite(
    validator: SubmissionValidator,
    name: str,
    table: StatusTable,
    frame: pd.DataFrame,
    parameters: dict[str, int],
) -> TableFindings:
    """The findings of suite ``name`` on a status file's ``frame``."""
    check, specs = validator.suite_check(name), validator.suite_specs(name)
    evrs = list(check.validate(frame, parameters).results)
    # duplicates count among the rows no other rule holds (a row left out for its own
    # fault conflicts with none): once those are known, the key rules run again
    others = [r for r in evrs if not _is_key_rule(r)]
    held = findings(table, frame, others, specs).held
    if held and any(not r.success for r in evrs if _is_key_rule(r)):
        keys = [c for s in specs if _is_key_spec(s) for c in columns_read(s["kwargs"])]
        again = frame.copy()
        again.loc[again["line"].isin(held), keys] = None
        second = check.validate(again, parameters).results
        evrs = others + [r for r in second if _is_key_rule(r)]
    return findings(table, frame, evrs, specs)


def check_digest(
    expectations_dir: Path, suite: str, frame: pd.DataFrame, parameters: Mapping[str, int]
) -> str:
    """sha256 of all a status suite's outcome depends on: the suite's file, the rules turning
    its results into findings (this module), its parameters and the frame it reads (the
    file's cells and what the plan and the catalog make of them)."""
    digest = hashlib.sha256()
    digest.update((expectations_dir / f"{suite}.json").read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(json.dumps(dict(parameters), sort_keys=True).encode())
    digest.update(frame.to_json(orient="split", force_ascii=False).encode())
    return digest.hexdigest()


def _is_key_spec(spec: Mapping[str, Any]) -> bool:
    """A rule of one row per key (``duplicate_…``)."""
    return str(spec["meta"]["code"]).startswith(KEY_RULE_PREFIX)


def _is_key_rule(r: Any) -> bool:
    return str((r.expectation_config.meta or {}).get("code", "")).startswith(KEY_RULE_PREFIX)


def _rule(meta: Mapping[str, Any]) -> str:
    return str(meta.get("rule", meta["code"]))


def findings(
    table: StatusTable,
    frame: pd.DataFrame,
    evrs: list[Any],
    specs: list[dict[str, Any]],
) -> TableFindings:
    """GE's results of a status suite as located issues, held lines and rule results."""
    order = {_rule(spec["meta"]): i for i, spec in enumerate(specs)}
    evrs = sorted(evrs, key=lambda r: order.get(_rule(r.expectation_config.meta or {}), 99))
    columns_missing = bool(table.missing)
    issues: list[SubmissionIssue] = []
    results: list[dict[str, Any]] = []
    held: set[int] = set()
    named: set[tuple[int, str]] = set()  # (line, column) cells already named
    refused = False
    for r in evrs:
        meta = r.expectation_config.meta or {}
        code, rule = str(meta["code"]), _rule(meta)
        if columns_missing and code != "missing_columns":
            continue  # its columns are not there: GE could not run it
        found = _rule_issues(table, frame, r, meta)
        if code in TABLE_RULES or r.exception_info.get("raised_exception"):
            refused = refused or not r.success
        for issue in found:
            if issue.row is not None and issue.column is not None and code not in TABLE_RULES:
                held.add(issue.row)
                if (issue.row, issue.column) in named:
                    continue
                named.add((issue.row, issue.column))
            issues.append(issue)
        checked = int((r.result or {}).get("element_count") or len(frame))
        failed = 0 if r.success else max(len(found), 1)
        severity = severity_of(meta)
        details = [issue_detail(i) for i in found[:MAX_DETAILS]]
        results.append(
            RuleResult(rule, severity, bool(r.success), checked, failed, details).as_row()
        )
    return TableFindings(tuple(issues), frozenset(held), refused, tuple(results))


def _rule_issues(
    table: StatusTable,
    frame: pd.DataFrame,
    r: Any,
    meta: Mapping[str, Any],
) -> list[SubmissionIssue]:
    """One issue per failing row of a rule (one for the file, a table rule)."""
    code, rule = str(meta["code"]), _rule(meta)
    name = table.path.name
    if r.success:
        return []
    if r.exception_info.get("raised_exception"):
        message = (
            f"检查规则 {rule} 无法执行，文件未读入：{r.exception_info.get('exception_message')}"
        )
        return [SubmissionIssue(code, message, name, row=1, rule=rule)]
    if code == "missing_columns":
        return [missing_columns(table)]
    column = meta.get("column")
    if column is None:
        return [SubmissionIssue(code, str(meta["message"]), name, row=1, rule=rule)]
    out = []
    for idx in (r.result or {}).get("unexpected_index_list") or []:
        row = frame.loc[idx]
        value = str(row.get(column, ""))
        fields: dict[str, Any] = {c: shown(str(row[c])) for c in table.header if c in table.columns}
        fields |= {"value": shown(_plain(row.get(column, ""))), "length": len(value)}
        fields |= {"limit": (r.expectation_config.kwargs or {}).get("max_value")}
        message = str(meta["message"]).format_map(fields)
        out.append(
            SubmissionIssue(code, message, name, row=int(row["line"]), column=column, rule=rule)
        )
    return out


def _plain(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:g}"
    return "" if value is None else str(value)


def status_findings(
    validator: SubmissionValidator,
    files: Sequence[tuple[StatusFileKind, Path, bytes]],
    period: Period,
    plan: Plan,
    catalog: Catalog,
    lengths: Mapping[StatusFileKind, Mapping[str, int]],
) -> dict[str, TableFindings]:
    """Each of ``files`` (kind, path, bytes) parsed as the month's load parses it, its suite
    run with ``validator`` (the helper process's: ``jzplan.month.status_ahead``); the
    findings under their digest (``TableFindings.checked_with``)."""
    check = StatusChecker(validator, plan, catalog, lengths)
    found: dict[str, TableFindings] = {}

    def recorded(table: StatusTable) -> TableFindings:
        findings = check(table)
        if findings.checked_with is not None:
            found[findings.checked_with] = findings
        return findings

    for kind, path, data in files:
        parse_of_kind(kind, path, period, plan, catalog, lengths=lengths[kind], check=recorded,
                      data=data)  # fmt: skip
    return found
