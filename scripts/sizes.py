"""Modules over 500 lines and functions over 80 lines (the house limits), and the counts the
One-house issue tracks: ``python -m scripts.sizes [PATH ...]``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_LIMIT, FUNCTION_LIMIT = 500, 80


def long_functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > FUNCTION_LIMIT:
                out.append((f"{path}:{node.lineno} {node.name}", length))
    return out


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(p) for p in ("jzplan", "flows", "tasks", "bench")]
    files = sorted(
        f for r in roots for f in (r.rglob("*.py") if r.is_dir() else [r])
        if "migrations" not in f.parts
    )  # fmt: skip
    over = 0
    for f in files:
        lines = len(f.read_text(encoding="utf-8").splitlines())
        if lines > MODULE_LIMIT:
            print(f"module   {lines:5d}  {f}")
            over += 1
        for name, length in long_functions(f):
            print(f"function {length:5d}  {name}")
            over += 1
    print(f"{over} over the limits ({len(files)} modules read)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
