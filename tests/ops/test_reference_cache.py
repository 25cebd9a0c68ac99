"""A warm process reads the catalog and the plan once; a changed catalog is read and synced."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from jzplan.core.settings import Settings
from jzplan.month.resources import open_resources
from jzplan.store.db import current_heads, init_store, script_heads
from jzplan.store.models import IndicatorRow

ROOT = Path(__file__).resolve().parents[2]


def _name(settings: Settings, code: str) -> str | None:
    resources = open_resources(settings)
    try:
        with resources.engine.connect() as conn:
            assert current_heads(conn) == script_heads()
            return conn.scalar(select(IndicatorRow.name).where(IndicatorRow.code == code))
    finally:
        resources.close()


def test_catalog_read_once_and_again_when_it_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "catalog", data / "catalog")
    shutil.copytree(ROOT / "data" / "targets", data / "targets")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'jzplan.db'}", data_dir=data)
    init_store(settings.database_url)

    first, second = open_resources(settings), open_resources(settings)
    first.close()
    second.close()
    assert second.catalog is first.catalog and second.plan is first.plan
    assert second.plans == {2013: second.plan}  # every year's file, the default one read once
    assert _name(settings, "ind_output_above") == "规模以上工业总产值"

    indicators = data / "catalog" / "indicators.yaml"
    text = indicators.read_text(encoding="utf-8")
    indicators.write_text(text.replace("name: 规模以上工业总产值", "name: 规上总产值"), "utf-8")
    third = open_resources(settings)
    third.close()
    assert third.catalog is not first.catalog
    assert third.catalog.indicators["ind_output_above"].name == "规上总产值"
    assert _name(settings, "ind_output_above") == "规上总产值"
