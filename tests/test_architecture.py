"""The layering contract of ``[tool.importlinter]`` holds, and it catches a lower layer that
imports a higher one: the check runs on a copy of the packages with one such import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("layers")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("jzplan", "flows", "tasks"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_the_layers_hold(copy: Path) -> None:
    result = _lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "higher"),
    [
        ("jzplan/core/periods.py", "jzplan.reference.catalog"),
        ("jzplan/store/db.py", "jzplan.track.aggregate"),
        ("jzplan/track/aggregate.py", "jzplan.report.markdown"),
        ("jzplan/month/loading.py", "tasks.ingest"),
        ("jzplan/validate/history_checks.py", "jzplan.track.progress"),
        ("jzplan/reference/plan.py", "prefect"),
    ],
)
def test_a_lower_layer_importing_a_higher_one_breaks_the_build(
    copy: Path, module: str, higher: str
) -> None:
    path = copy / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\nimport {higher}  # noqa: E402, F401\n", encoding="utf-8")
    try:
        result = _lint(copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert higher in result.stdout
