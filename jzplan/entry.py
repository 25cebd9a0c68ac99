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
        _start_helper()
    from jzplan.cli import main as cli_main

    return cli_main()


def _start_helper() -> None:
    """The helper, unless turned off (``JZPLAN_DATA_DOCS_HELPER=0``); settings that do not
    read are left to the command line to report."""
    from jzplan.core.settings import Settings

    try:
        wanted = Settings().data_docs_helper
    except Exception:  # the command line says what is wrong, in its own words
        return
    if wanted:
        from jzplan.validate.docs_helper import shared_helper

        shared_helper().start()
