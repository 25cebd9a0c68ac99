"""A store's revisions and the scripts' heads, read without Alembic (jzplan.store.db), are
Alembic's own answers; a run at head never imports Alembic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from jzplan.store.db import (
    alembic_config,
    connect,
    current_heads,
    init_store,
    migrate,
    script_heads,
    script_revisions,
)
from tests.conftest import REPO_ROOT


def _alembic_current(engine: Engine) -> set[str]:
    with connect(engine) as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def test_the_scripts_heads_and_revisions_are_alembics() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert script_heads() == set(scripts.get_heads())
    assert script_revisions() == {r.revision for r in scripts.walk_revisions()}
    assert len(script_revisions()) >= 17  # a merge (0006) over four branches among them


def test_a_stores_revisions_are_alembics(bare_engine: Engine) -> None:
    assert current_heads(bare_engine) == _alembic_current(bare_engine) == set()
    # before the merge: four branch heads
    migrate(bare_engine, "0005_operations")
    migrate(bare_engine, "0004_tracking")
    branches = current_heads(bare_engine)
    assert branches == _alembic_current(bare_engine)
    assert branches == {"0004_tracking", "0005_operations"}
    migrate(bare_engine)
    assert current_heads(bare_engine) == _alembic_current(bare_engine) == script_heads()


def test_a_run_at_head_imports_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jzplan.db'}"
    init_store(url)
    code = (
        "import json, sys\n"
        "import flows.monthly, jzplan.cli\n"
        "from jzplan.core.settings import Settings\n"
        "from jzplan.month.resources import open_resources\n"
        "res = open_resources(Settings())\n"
        "res.close()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')))\n"
    )
    env = {**_env(), "JZPLAN_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("JZPLAN_")}
