"""Channel secrets named as Prefect Secret blocks, read from the real test server."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from prefect.blocks.system import Secret

from jzplan.alert.channels import SecretRef
from tasks.notify import secret_block_names, secret_resolver
from tests.conftest import REPO_ROOT


def test_a_secret_block_is_read_once_per_resolver_and_an_env_var_comes_first() -> None:
    name = f"hook-{uuid.uuid4().hex[:8]}"
    Secret(value="https://robot.example/one").save(name)
    resolve = secret_resolver({"HOOK_URL": "https://env.example/"})

    assert resolve(SecretRef(block=name)) == "https://robot.example/one"
    Secret(value="https://robot.example/two").save(name, overwrite=True)
    # the same resolver (one delivery) keeps what it read; a new one reads the block again
    assert resolve(SecretRef(block=name)) == "https://robot.example/one"
    assert secret_resolver({})(SecretRef(block=name)) == "https://robot.example/two"
    assert resolve(SecretRef(env="HOOK_URL", block=name)) == "https://env.example/"
    assert resolve(SecretRef(env="UNSET_URL", block=name)) == "https://robot.example/one"


def test_a_missing_secret_block_resolves_to_nothing() -> None:
    resolve = secret_resolver({})
    missing = SecretRef(block=f"absent-{uuid.uuid4().hex[:8]}")
    assert resolve(missing) is None
    assert resolve(missing) is None


def test_a_resolver_listed_at_once_reads_what_one_listed_later_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Asked on a background thread when the resolver is made, the listing is the same, is
    made once, and its failure is raised where the first block is read, not before."""
    import tasks.notify

    name = f"early-{uuid.uuid4().hex[:8]}"
    Secret(value="https://robot.example/early").save(name)
    resolve = secret_resolver({}, listed=True)
    assert resolve(SecretRef(block=name)) == "https://robot.example/early"
    assert resolve(SecretRef(block=f"absent-{uuid.uuid4().hex[:8]}")) is None

    def refused() -> set[str]:
        raise RuntimeError("server refused the listing")

    monkeypatch.setattr(tasks.notify, "secret_block_names", refused)
    failing = secret_resolver({"HOOK_URL": "https://env.example/"}, listed=True)
    assert failing(SecretRef(env="HOOK_URL", block=name)) == "https://env.example/"
    with pytest.raises(RuntimeError, match="refused the listing"):
        failing(SecretRef(block=name))


def test_the_server_lists_its_secret_blocks_by_name_in_one_request() -> None:
    name = f"listed-{uuid.uuid4().hex[:8]}"
    Secret(value="s3cret").save(name)
    names = secret_block_names()
    assert name in names
    assert f"absent-{uuid.uuid4().hex[:8]}" not in names


def test_a_monthly_run_lists_the_secret_blocks_once(
    flow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipts and the alerts of a run share its resolver: the demo's channels name
    their URLs by Secret block, and the server is asked which exist once per run."""
    import tasks.notify
    from flows.monthly import monthly_progress

    inbox = flow_env / "inbox" / "2013-01"
    inbox.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "data" / "inbox" / "2013-01" / "宁郭镇_2013年01月_月报.xlsx", inbox)
    listed: list[set[str]] = []

    def counted() -> set[str]:
        listed.append(secret_block_names_real())
        return listed[-1]

    secret_block_names_real = tasks.notify.secret_block_names
    monkeypatch.setattr(tasks.notify, "secret_block_names", counted)
    summary = monthly_progress(period="2013-01", inbox_dir=str(flow_env / "inbox"))
    assert summary["receipts"]["delivered"]["skipped"]  # the receipts' channels were resolved
    assert summary["alerts_delivered"]["channels"]  # and the alerts'
    assert len(listed) == 1
