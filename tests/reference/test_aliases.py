"""Learned names (data/catalog/aliases.yaml): merged by load_catalog under the one-name-one-
indicator rule, appended by add_learned_alias."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jzplan.reference.aliases import AliasClash, LearnedAlias, add_learned_alias
from jzplan.reference.catalog import ALIASES_FILE, CatalogError, load_catalog
from tests.conftest import REPO_ROOT

AT = datetime(2013, 6, 6, 10, 30, tzinfo=UTC)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(REPO_ROOT / "data" / "catalog", folder)
    return folder


def learned(name: str, indicator: str) -> LearnedAlias:
    return LearnedAlias(name, indicator, f"1.{name}", "张三", AT, "宁郭镇.xlsx", 7)


def test_a_learned_name_is_read_by_every_later_load(catalog_dir: Path) -> None:
    catalog = load_catalog(catalog_dir)
    assert add_learned_alias(
        catalog_dir, catalog, learned("招商引资(实际到位资金)", "investment_attracted")
    )
    reloaded = load_catalog(catalog_dir)
    assert reloaded.name_index()["招商引资(实际到位资金)"] == "investment_attracted"
    assert "招商引资(实际到位资金)" in reloaded.indicator("investment_attracted").aliases
    # the indicator's own names are not learned again; another's are refused
    assert not add_learned_alias(catalog_dir, reloaded, learned("招商引资", "investment_attracted"))
    with pytest.raises(AliasClash, match="used by retail_sales"):
        add_learned_alias(catalog_dir, reloaded, learned("社零总额", "fai"))
    with pytest.raises(KeyError, match="nope"):
        add_learned_alias(catalog_dir, reloaded, learned("新名称", "nope"))
    assert len((catalog_dir / ALIASES_FILE).read_text("utf-8").split("- name:")) == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("- {name: 社零总额, indicator: fai}\n", "used by"),  # retail_sales' alias
        ("- {name: 新名称, indicator: nope}\n", "unknown indicator 'nope'"),
        ("- {name: 新名称}\n", "entry 1 needs a name and an indicator"),
        ("name: 新名称\n", "a list of learned names"),
    ],
)
def test_a_bad_aliases_file_stops_the_catalog(catalog_dir: Path, text: str, error: str) -> None:
    (catalog_dir / ALIASES_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=error):
        load_catalog(catalog_dir)
