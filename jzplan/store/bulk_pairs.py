"""The (unit, period) pairs of a bulk file: factorized once, each row's pair as a code, and
what is decided per pair (rejected, changed) as arrays over the pairs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jzplan.core.submissions import SubmissionIssue
from jzplan.store.rows import same_floats

PAIR_KEYS = ["org_unit", "period"]
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class UnitPeriodPairs:
    """The file's (unit, period) pairs, in order of first appearance, and each row's pair:
    factorized once, so the load never compares or copies 4 million strings."""

    unit_codes: np.ndarray  # per row, -1 for a missing unit
    unit_uniques: list[Any]
    period_codes: np.ndarray
    period_uniques: list[Any]
    pair_codes: np.ndarray  # per row
    pair_keys: np.ndarray  # per pair: (unit code + 1) * (periods + 1) + period code + 1
    units: list[Any]  # per pair, None for a missing unit
    periods_of_pairs: list[Any]  # per pair, None for a missing period

    @classmethod
    def of(cls, frame: pd.DataFrame) -> UnitPeriodPairs:
        unit_codes, unit_uniques = pd.factorize(frame["org_unit"])
        period_codes, period_uniques = pd.factorize(frame["period"])
        width = len(period_uniques) + 1
        key = (unit_codes.astype(np.int64) + 1) * width + period_codes + 1
        pair_codes, pair_keys = pd.factorize(key)
        pair_keys = np.asarray(pair_keys, dtype=np.int64)
        unit_lookup = [*unit_uniques, None]  # code -1 (missing) → None
        period_lookup = [*period_uniques, None]
        return cls(
            unit_codes, list(unit_uniques), period_codes, list(period_uniques),
            pair_codes, pair_keys,
            [unit_lookup[int(k)] for k in pair_keys // width - 1],
            [period_lookup[int(k)] for k in pair_keys % width - 1],
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.pair_keys)

    def periods(self) -> tuple[str, ...]:
        """The file's distinct periods (text as written), sorted."""
        return tuple(sorted(str(p) for p in self.period_uniques if isinstance(p, str)))

    def pair_units(self) -> list[Any]:
        return self.units

    def pair_periods(self) -> list[Any]:
        return self.periods_of_pairs

    def categorical(self, column: str, rows: np.ndarray) -> pd.Categorical:
        """The unit or period of ``rows`` as a categorical (no string copied)."""
        codes, uniques = (
            (self.unit_codes, self.unit_uniques)
            if column == "unit"
            else (self.period_codes, self.period_uniques)
        )
        return pd.Categorical.from_codes(codes[rows], categories=pd.Index(uniques))


@dataclass(frozen=True, slots=True)
class Rejections:
    """Which rows and pairs are rejected, and the rejected pairs that get a submission row."""

    bad_rows: np.ndarray  # per row
    bad_pairs: np.ndarray  # per pair
    recorded: list[tuple[str, str]]  # rejected pairs of a known unit and a YYYY-MM period


def find_rejections(
    pairs: UnitPeriodPairs, error_rows: np.ndarray, codes: set[str], *, file_rejected: bool
) -> Rejections:
    """A pair is rejected when one of its rows failed an error rule, or its unit or period
    is not one the store knows; ``file_rejected`` rejects every pair."""
    bad = np.zeros(len(pairs.pair_codes), dtype=bool)
    bad[np.asarray(error_rows, dtype=np.int64)] = True
    unit_known = np.array([isinstance(u, str) and u in codes for u in pairs.unit_uniques]
                          + [False])  # fmt: skip
    period_ok = np.array(
        [isinstance(p, str) and _PERIOD.fullmatch(p) is not None for p in pairs.period_uniques]
        + [False]
    )
    bad |= ~unit_known[pairs.unit_codes] | ~period_ok[pairs.period_codes]
    bad_pair = np.zeros(len(pairs), dtype=bool)
    if file_rejected:
        bad_pair[:] = True
    else:
        bad_pair[pairs.pair_codes[bad]] = True
    recorded = [
        (u, p)
        for u, p, rejected in zip(pairs.pair_units(), pairs.pair_periods(), bad_pair, strict=True)
        if rejected and u in codes and isinstance(p, str) and len(p) == 7
    ]
    return Rejections(bad, bad_pair, recorded)


def changed_pairs(new: pd.DataFrame, old: pd.DataFrame) -> pd.Series:
    """Per (org_unit, period) of ``new``: True when its figures differ from ``old``'s (an
    indicator added or dropped, a value or monthly value changed; NaN equals NaN)."""
    keys = [*PAIR_KEYS, "indicator"]
    merged = new[[*keys, "value", "value_month"]].merge(
        old[[*keys, "value", "value_month"]], on=keys, how="outer", suffixes=("", "_old"),
        indicator=True,
    )  # fmt: skip
    differs = (merged["_merge"] != "both").to_numpy().copy()
    for col in ("value", "value_month"):
        a = merged[col].to_numpy(np.float64)
        b = merged[f"{col}_old"].to_numpy(np.float64)
        differs |= ~same_floats(a, b)
    merged["differs"] = differs
    flags = merged.groupby(PAIR_KEYS, sort=False)["differs"].any()
    index = pd.MultiIndex.from_frame(new[PAIR_KEYS].drop_duplicates())
    return flags.reindex(index, fill_value=True)


def changed_mask(
    frame: pd.DataFrame, pairs: UnitPeriodPairs, good_pairs: np.ndarray, current: pd.DataFrame
) -> np.ndarray:
    """Per pair: accepted and with figures that differ from the current ones."""
    if not good_pairs.any():
        return np.zeros(len(pairs), dtype=bool)
    if current.empty:  # nothing current yet (a first load): every unit is new
        return good_pairs.copy()
    flags = changed_pairs(frame[good_pairs[pairs.pair_codes]], current)
    index = pd.MultiIndex.from_arrays([pairs.pair_units(), pairs.pair_periods()])
    return np.asarray(flags.reindex(index, fill_value=False).to_numpy(bool) & good_pairs)


def issues_by_pair(
    frame: pd.DataFrame,
    pairs: UnitPeriodPairs,
    issues: Sequence[SubmissionIssue],
    wanted: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], list[SubmissionIssue]]:
    """Located issues by the (unit, period) of the row they name (rows are file lines);
    empty unless some pairs are ``wanted``."""
    located = [i for i in issues if i.row is not None]
    if not located or not wanted:
        return {}
    lines = pd.Index(frame["row"].to_numpy(np.int64))
    positions = lines.get_indexer([int(i.row) for i in located if i.row is not None])
    units, periods = pairs.pair_units(), pairs.pair_periods()
    out: dict[tuple[str, str], list[SubmissionIssue]] = {}
    for issue, pos in zip(located, positions, strict=True):
        if pos < 0:
            continue
        pair = int(pairs.pair_codes[pos])
        out.setdefault((str(units[pair]), str(periods[pair])), []).append(issue)
    return out
