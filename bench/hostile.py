"""The hostile month (``tests/hostile``) as a bench line: the 2013-07 batch with every bad
file of the corpus beside the seven good forms, run by ``monthly-progress`` in a fresh
process per database (``python -m tests.hostile.child``) against a Prefect server on
loopback. Per database: the flow call's seconds, the process's peak memory (``resource``),
and how many entries were accepted, rejected, refused and held. Prints numbers; asserts
nothing (``tests/flows/test_hostile_month.py`` holds the outcomes and the 1 GiB bound)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.prefect_month import _quiet_env, prefect_server
from bench.stores import fresh_postgres

ROOT = Path(__file__).resolve().parents[1]


def build_batch(folder: Path) -> Path:
    """The hostile inbox under ``folder`` (rebuilt each time: about 10 s, 200 MB)."""
    import shutil

    from jzplan.reference.catalog import load_catalog
    from tests.hostile.kinds import MONTH
    from tests.hostile.month import build_month

    shutil.rmtree(folder, ignore_errors=True)
    catalog = load_catalog(ROOT / "data" / "catalog")
    build_month(folder / "inbox" / str(MONTH), folder / "outside", catalog)
    return folder / "inbox"


def run_one(inbox: Path, database_url: str, folder: Path, api_url: str) -> dict[str, Any]:
    from jzplan.store.db import init_store

    init_store(database_url)
    env = {
        **_quiet_env(folder / "prefect-home"),
        "PREFECT_API_URL": api_url,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "JZPLAN_DATABASE_URL": database_url,
        "JZPLAN_ARCHIVE_DIR": str(folder / "archive"),
        "JZPLAN_REPORT_DIR": str(folder / "reports"),
        "JZPLAN_DATA_DOCS_DIR": str(folder / "data_docs"),
    }
    started = time.perf_counter()
    with (folder / "child.log").open("w") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.hostile.child", str(inbox)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True, check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        return {"error": (folder / "child.log").read_text()[-2000:]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    outcomes = result.pop("summary")["outcomes"]
    result["entries"] = dict(Counter(o["status"] for o in outcomes))
    return result


def run(out: Path) -> dict[str, Any]:
    """Both databases, one Prefect server; the results by database."""
    folder = out / "hostile"
    inbox = build_batch(folder / "batch")
    results: dict[str, Any] = {}
    home = folder / "prefect-server"
    home.mkdir(parents=True, exist_ok=True)
    with prefect_server(home, os.environ.get("JZPLAN_BENCH_PREFECT_URL")) as server:
        api_url = server.url
        for db in ("sqlite", "postgresql"):
            where = folder / db
            where.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{where / 'jzplan.db'}" if db == "sqlite" else fresh_postgres()
            if db == "sqlite":
                (where / "jzplan.db").unlink(missing_ok=True)
            results[db] = run_one(inbox, url, where, api_url)
            print(f"hostile month, {db}: {describe(results[db])}", flush=True)
    return results


def describe(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"failed: {r['error'].strip().splitlines()[-1] if r['error'].strip() else ''}"
    entries = ", ".join(f"{k} {v}" for k, v in sorted(r["entries"].items()))
    return (
        f"{r['seconds']:.1f} s in the flow ({r['process_seconds']:.1f} s the process), "
        f"peak {r['peak_mib']:.0f} MiB (floor: under 1024); {entries}"
    )


if __name__ == "__main__":
    run(ROOT / "var" / "bench")
