"""Every prefect.yaml entrypoint imports and names a flow (the "definitions load" smoke test)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_entrypoint_is_a_flow(deployment: dict[str, object]) -> None:
    path, name = str(deployment["entrypoint"]).split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    flow = getattr(module, name)
    assert isinstance(flow, Flow)
    params = set(flow.parameters.properties)
    assert set(dict(deployment.get("parameters") or {})) <= params  # type: ignore[call-overload]


def test_entrypoints_import_great_expectations_or_psycopg_only_when_a_run_uses_them() -> None:
    """GE takes ~2 s to import: a worker's new process pays it only when its run validates
    (jzplan.validate.datadocs once imported all of GE whenever the import system probed it).
    psycopg (0.1 s) only when the store is PostgreSQL (jzplan.store.fastread)."""
    modules = [
        str(d["entrypoint"]).split(":")[0].removesuffix(".py").replace("/", ".")
        for d in DEPLOYMENTS
    ]
    code = (
        f"import sys; import {', '.join(modules)}; "
        "print(sorted({'great_expectations', 'psycopg'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
