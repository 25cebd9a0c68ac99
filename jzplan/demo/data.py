"""Reproducible demo inbox: every unit's monthly forms (月报) for 2012 and 2013.

2012 ends exactly on the seed's 2012 figures (the plan's baselines); 2013 is driven by the
plan's targets through the story of ``jzplan.demo.story``. Run
``python -m jzplan.demo.data [--out data/inbox]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from jzplan.demo.inbox import write_inbox
from jzplan.reference.catalog import load_catalog
from jzplan.reference.plan import load_plan


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the demo inbox of monthly forms.")
    parser.add_argument("--out", type=Path, default=Path("data/inbox"))
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"))
    parser.add_argument("--plan", type=Path, default=Path("data/targets/2013.yaml"))
    args = parser.parse_args(argv)
    catalog = load_catalog(args.catalog)
    written = write_inbox(args.out, catalog, load_plan(args.plan, catalog))
    print(f"wrote {len(written)} forms to {args.out}")


if __name__ == "__main__":
    main()
