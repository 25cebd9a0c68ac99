"""The task runner of a run, chosen by settings: threads (default) or a Dask cluster.

Chosen when the flow runs, not at import: ``JZPLAN_TASK_RUNNER=dask`` with
``JZPLAN_DASK_ADDRESS=tcp://scheduler:8786`` uses an existing cluster; without an address a
temporary local cluster of ``JZPLAN_DASK_WORKERS`` workers lives for the run. The run's Data
Docs helper process too (``docs_helper``).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import opaque, quote

from jzplan.core.settings import Settings
from jzplan.validate.docs_helper import DocsHelper, shared_helper

T = TypeVar("T")


# Prefect walks every task argument looking for futures and upstream results: tens of ms a
# call for the catalog or the plan, and more for a prepared file's validation documents.
def untraversed(value: T) -> T:
    """A task argument Prefect passes as is: never a task's result, so no edge is lost."""
    return cast(T, quote(value))


def upstream(value: T) -> T:
    """A task's result passed on: its edge in the run graph, without a walk into its contents."""
    return cast(T, opaque(value))


def task_runner(settings: Settings) -> TaskRunner[Any]:
    """A new, unstarted task runner for the per-submission tasks (use it as a context)."""
    if settings.task_runner == "dask":
        from prefect_dask.task_runners import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": settings.dask_workers,
                "threads_per_worker": 1,
                "processes": settings.dask_processes,
                "dashboard_address": None,
            }
        )
    return ThreadPoolTaskRunner()


def docs_helper(settings: Settings) -> DocsHelper | None:
    """The process's Data Docs helper (``jzplan.validate.docs_helper``), unless turned off
    (``JZPLAN_DATA_DOCS_HELPER=0``)."""
    return shared_helper() if settings.data_docs_helper else None
