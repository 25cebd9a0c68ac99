"""The files of a tier: the month's bulk file (CSV and Parquet) and the synthetic catalog
(bench/synth.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from bench.synth_figures import Month
from bench.synth_indicators import FORM_SIZE, IndicatorModel
from bench.synth_tiers import FORM, Hierarchy

BULK_COLUMNS: tuple[str, ...] = ("单位代码", "报告期", "指标代码", "本期累计", "本月", "计量单位")
UNKNOWN_INDICATOR = "x99_unknown"


def month_table(
    period: str,
    month: Month,
    leaf_codes: Sequence[str],
    models: Sequence[IndicatorModel],
    plants: Sequence[tuple[int, int, str]] = (),
) -> pa.Table:
    """The bulk file's rows, unit by unit in form order; planted errors applied."""
    leaves, n = month.value.shape
    scale = np.array([m.scale for m in models], dtype=np.float64)
    acc = np.array([m.accumulates for m in models])
    value = month.value / scale[None, :]
    own = np.where(acc[None, :], month.own / scale[None, :], np.nan)
    codes = [m.code for m in models] + [UNKNOWN_INDICATOR]
    units = [m.unit for m in models] + ["万元"]
    ind = np.tile(np.arange(n, dtype=np.int32), leaves).reshape(leaves, n)
    for leaf, col, kind in plants:
        if kind == "negative_value":
            value[leaf, col] = -value[leaf, col]
        elif kind == "unknown_indicator":
            ind[leaf, col] = n
        elif kind == "parts_sum_to_whole":
            value[leaf, col] += 1000.0
            own[leaf, col] += 1000.0
        elif kind == "implausible_value":  # a unit slip: 亿元 figures written in 元
            value[leaf, col] *= 1e4
            own[leaf, col] *= 1e4
    ind_flat = pa.array(ind.ravel())
    unit_index = pa.array(np.repeat(np.arange(leaves, dtype=np.int32), n))
    period_col = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(leaves * n, dtype=np.int32)), pa.array([period])
    )
    month_values = own.ravel()
    return pa.table(
        {
            BULK_COLUMNS[0]: pa.DictionaryArray.from_arrays(unit_index, pa.array(leaf_codes)),
            BULK_COLUMNS[1]: period_col,
            BULK_COLUMNS[2]: pa.DictionaryArray.from_arrays(ind_flat, pa.array(codes)),
            BULK_COLUMNS[3]: pa.array(value.ravel()),
            BULK_COLUMNS[4]: pa.array(month_values, mask=np.isnan(month_values)),
            BULK_COLUMNS[5]: pa.DictionaryArray.from_arrays(ind_flat, pa.array(units)),
        }
    )


def replace_atomically(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    write(tmp)
    os.replace(tmp, path)


def write_csv(table: pa.Table, path: Path) -> None:
    """UTF-8, unquoted (codes and units never need quotes), as offices' exports look."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")

    def write(p: Path) -> None:
        with p.open("wb") as f:
            f.write((",".join(table.column_names) + "\n").encode("utf-8"))
            pacsv.write_csv(table, f, write_options=options)

    replace_atomically(path, write)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Plain string columns (as another system's writer would produce them)."""
    plain = table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                for f in table.schema
            ]
        )
    )
    replace_atomically(path, lambda p: pq.write_table(plain, p, compression="zstd"))


def bulk_name(area_code: str, period: str, suffix: str) -> str:
    return f"{area_code}-{period}.{suffix}"


def _flow_yaml(entry: dict[str, Any]) -> str:
    return (
        "- "
        + yaml.safe_dump(
            entry, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000
        ).strip()
    )


def write_catalog(
    out: Path, hierarchy: Hierarchy, entries: list[dict[str, Any]], form: list[str]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Synthetic catalog of bench/synth.py: the project's indicators (data/catalog), then",
        f"# x01… so that the monthly form {FORM!r} has exactly {FORM_SIZE} reported indicators.",
        *(_flow_yaml(e) for e in entries),
    ]
    (out / "indicators.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, name, kind = hierarchy.area
    org = {
        "area": {"code": code, "name": name, "kind": kind},
        "forms": {FORM: form},
        "units_file": "units.csv",
        "units": [],
    }
    header = "# Synthetic org units of bench/synth.py: the tree is in units.csv.\n"
    body = yaml.safe_dump(org, allow_unicode=True, sort_keys=False, width=100)
    (out / "org_units.yaml").write_text(header + body, encoding="utf-8")
    hierarchy.units.to_csv(out / "units.csv", index=False, encoding="utf-8", lineterminator="\n")
