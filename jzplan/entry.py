"""The ``jzplan`` command's entry point: the collector off before anything is imported
(``jzplan.core.process``); for ``jzplan run``, the validation helper started at once
(``jzplan.validate.docs_helper``: GE's import on the other core while this process imports
the pipeline, about 2.4 s each); then the command line (``jzplan.cli``)."""

from __future__ import annotations

import sys


def main() -> int:
    from jzplan.core.process import start_without_collecting

    start_without_collecting()
    if sys.argv[1:2] == ["run"]:
        from jzplan.validate.docs_helper import start_for_one_month

        start_for_one_month()
    from jzplan.cli import main as cli_main

    return cli_main()
