"""Which Prefect server a run started by hand uses (``jzplan run``/``deadline``/``backfill``,
``make demo``): the one that answers, else Prefect's temporary one, said on stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import PREFECT_API_URL, temporary_settings

from jzplan.ops.prefect_ui import UiConfig, client_api


@contextmanager
def prefect_server(config: UiConfig | None = None) -> Iterator[None]:
    """Run the flows inside against the Prefect server that answers (PREFECT_API_URL, else
    the one ``make ui`` started with ``config``), saying which on stderr; else Prefect's
    temporary server."""
    configured = PREFECT_API_URL.value()
    url, said = client_api(config or UiConfig(), configured)
    print(said, file=sys.stderr, flush=True)
    if url is None or url == configured:
        yield
        return
    with temporary_settings({PREFECT_API_URL: url}):
        yield
