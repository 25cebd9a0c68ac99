"""A snapshot of what ``make demo`` produced, to show that a change kept its behaviour.

``python -m scripts.demo_snapshot var/jzplan.db var/reports OUT.json`` writes the store's
content on natural keys (``tests.ops.natural``: surrogate ids, timestamps and Great
Expectations' run metadata taken out) and every Markdown report. Two snapshots of runs of
different code are compared with ``--compare A.json B.json``; exit 1 and the first
differences when they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from tests.ops.natural import differences, natural_dump


def snapshot(db: Path, reports: Path) -> dict[str, Any]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        dump = natural_dump(engine)
    finally:
        engine.dispose()
    return {
        "store": {name: [repr(row) for row in rows] for name, rows in dump.items()},
        "reports": {p.name: p.read_text(encoding="utf-8") for p in sorted(reports.glob("*.md"))},
    }


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    found = []
    diff = differences(a["store"], b["store"])
    found += [f"表 {name} 不同：{detail}" for name, detail in diff.items()]
    for name in sorted(set(a["reports"]) | set(b["reports"])):
        if a["reports"].get(name) != b["reports"].get(name):
            found.append(f"报告 {name} 不同")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    parser.add_argument("paths", nargs="*", type=Path, metavar="DB REPORTS OUT")
    args = parser.parse_args(argv)
    if args.compare:
        a, b = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        found = compare(a, b)
        rows = sum(len(v) for v in a["store"].values())
        if found:
            print("\n".join(found[:20]))
            return 1
        print(f"相同：{len(a['store'])} 张表 {rows} 行，{len(a['reports'])} 份 Markdown 报告")
        return 0
    db, reports, out = args.paths
    out.write_text(json.dumps(snapshot(db, reports), ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
