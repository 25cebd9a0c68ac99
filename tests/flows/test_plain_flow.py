"""Our flows store plain parameters as Prefect's encoder would, without importing fastapi
(flows.plain_flow); any other parameter still goes through Prefect's encoder."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from prefect import Flow, get_client
from prefect.context import FlowRunContext

import flows
from flows.plain_flow import PlainParameterFlow, flow
from tests.conftest import REPO_ROOT


@flow(name="plain-parameters-test")
def _echo(
    period: str, count: int, share: float, flag: bool, missing: str | None, day: date | None
) -> str:
    context = FlowRunContext.get()
    assert context is not None and context.flow_run is not None
    return str(context.flow_run.id)


async def _stored(run_id: str) -> dict[str, object]:
    async with get_client() as client:
        return dict((await client.read_flow_run(run_id)).parameters)  # type: ignore[arg-type]


def test_plain_parameters_are_stored_as_prefect_stores_them() -> None:
    import asyncio

    plain = {"period": "2013-06", "count": 3, "share": 0.5, "flag": True, "missing": None}
    run_id = _echo(**plain, day=None)  # type: ignore[arg-type]
    assert asyncio.run(_stored(run_id)) == {**plain, "day": None}
    # the same values through Prefect's own encoder
    assert Flow.serialize_parameters(_echo, {**plain, "day": None}) == {**plain, "day": None}


def test_any_other_parameter_goes_through_prefects_encoder() -> None:
    import asyncio

    given = {"period": "2013-06", "count": 1, "share": 1.0, "flag": False, "missing": "x",
             "day": date(2013, 6, 30)}  # fmt: skip
    serialized = _echo.serialize_parameters(given)
    assert serialized == Flow.serialize_parameters(_echo, given)
    assert serialized["day"] == "2013-06-30"  # Prefect's encoder made it text
    run_id = _echo(**given)  # type: ignore[arg-type]
    assert asyncio.run(_stored(run_id)) == serialized


def test_every_flow_of_the_project_is_a_plain_parameter_flow() -> None:
    found = []
    for module in pkgutil.iter_modules([str(Path(flows.__file__).parent)]):
        if module.name in ("demo", "server", "worker_start"):
            continue  # no flow there (the demo calls the others)
        loaded = importlib.import_module(f"flows.{module.name}")
        found += [
            v
            for v in vars(loaded).values()
            if isinstance(v, Flow) and v.__module__ == loaded.__name__
        ]
    names = {f.name for f in found}
    assert {"monthly-progress", "backfill", "deadline-check"} <= names
    assert all(isinstance(f, PlainParameterFlow) for f in found), [
        f.name for f in found if not isinstance(f, PlainParameterFlow)
    ]


def test_a_monthly_run_serializes_its_parameters_without_fastapi() -> None:
    code = (
        "import sys, json, flows.monthly as m\n"
        "before = 'fastapi' in sys.modules\n"
        "out = m.monthly_progress.serialize_parameters({'period': '2013-06', 'inbox_dir': None})\n"
        "print(json.dumps([before, out, 'fastapi' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    before, out, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"period": "2013-06", "inbox_dir": None}
    assert not before and not after
