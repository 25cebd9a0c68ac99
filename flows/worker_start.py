"""Imported first of the project's modules by the monthly entrypoint (``flows/monthly.py``,
which the backfill's imports too): in a worker's flow-run process for a monthly run or a
backfill, the validation helper starts before the entrypoint's imports
(``jzplan.validate.docs_helper``: GE's import and the suites on the other core while this
process imports the pipeline, as ``jzplan run`` does). Anywhere else (``jzplan run``, the
demo, a test) it does nothing."""

from jzplan.core.process import importing_flow_run_entrypoint
from jzplan.validate.docs_helper import start_for_one_month

if importing_flow_run_entrypoint():
    start_for_one_month()
