"""The temporary server's app (``flows.server.TemporaryServer``): Prefect's own
``create_app``, its imports made without the cyclic collector.

The server process spends most of its boot importing Prefect's server: 55% of a 21 s boot
under py-spy on a 2-core machine (2026-12-07), the database's migrations 0.5%. Without the
collector's passes over the growing heap (``jzplan.core.process``), importing
``prefect.server.api.server`` took 4.7-5.7 s instead of 6.1-7.0 s there (three alternated
runs). ``imports_done`` then freezes what the imports and the app made and turns the
collector back on, as a run's own process does once its imports are done."""

from __future__ import annotations

from typing import Any

from jzplan.core.process import imports_done, start_without_collecting


def create_app() -> Any:
    """uvicorn's ``--factory``: ``prefect.server.api.server.create_app()`` (which reads its
    mode, ephemeral and final, from the environment ``TemporaryServer`` gives it)."""
    start_without_collecting()
    from prefect.server.api.server import create_app as prefect_app

    app = prefect_app()
    imports_done()
    return app
