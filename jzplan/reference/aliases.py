"""Names learned by answering a held row (``data/catalog/aliases.yaml``): each maps a name an
office wrote to a catalog indicator, with who taught it, when, and from which file. Every later
catalog load (``jzplan.reference.catalog.load_catalog``) merges them into the indicators'
aliases, under the same rule as any other name: one name, one indicator."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from jzplan.core.files import read_yaml
from jzplan.reference.catalog import ALIASES_FILE, Catalog, CatalogError, normalize_name

HEADER = (
    "# Names learned by answering held rows (jzplan answer ID --indicator CODE).\n"
    "# Written by the program; each name belongs to one indicator. To undo one, delete its\n"
    "# entry (the held row's answer stays recorded in the store).\n"
)


class AliasClash(CatalogError):
    """The name already belongs to another indicator; ``owner`` is that indicator's code."""

    def __init__(self, name: str, owner: str) -> None:
        super().__init__(f"name {name!r} is used by {owner}")
        self.name = name
        self.owner = owner


@dataclass(frozen=True, slots=True)
class LearnedAlias:
    name: str  # the key the parser matches (numbering, 其中 and a bracketed unit removed)
    indicator: str
    written: str  # the name as the office wrote it
    by: str
    at: datetime
    file: str  # the file the held row came from
    question: int | None = None  # the held row's id in the store

    def entry(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "indicator": self.indicator,
            "written": self.written,
            "by": self.by,
            "at": self.at.isoformat(timespec="seconds"),
            "file": self.file,
            "question": self.question,
        }


def check_alias(catalog: Catalog, name: str, indicator: str) -> bool:
    """Whether ``name`` is new to the catalog (True) or already ``indicator``'s (False);
    AliasClash when another indicator has it, KeyError for an unknown indicator."""
    catalog.indicator(indicator)
    owner = catalog.name_index().get(normalize_name(name))
    if owner is None:
        return True
    if owner != indicator:
        raise AliasClash(name, owner)
    return False


def add_learned_alias(catalog_dir: Path, catalog: Catalog, alias: LearnedAlias) -> bool:
    """Append ``alias`` to the catalog's learned names, unless the name is already the
    indicator's (False); AliasClash if it is another's. The file is replaced atomically."""
    if not check_alias(catalog, alias.name, alias.indicator):
        return False
    path = catalog_dir / ALIASES_FILE
    entries: list[Any] = []
    if path.exists():
        entries = read_yaml(path) or []
    entries.append(alias.entry())
    text = HEADER + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    fd, tmp = tempfile.mkstemp(dir=catalog_dir, prefix=".aliases-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
