"""The ``jzplan`` command's entry point: the collector off before anything is imported
(``jzplan.core.process``), then the command line (``jzplan.cli``)."""

from __future__ import annotations


def main() -> int:
    from jzplan.core.process import start_without_collecting

    start_without_collecting()
    from jzplan.cli import main as cli_main

    return cli_main()
