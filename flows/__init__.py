"""Prefect flows composing the tasks into the monthly run, backfills and the demo."""

from jzplan.core.process import exit_without_collecting

# a process that runs flows (``jzplan run``, a worker's flow run, the demo) ends without the
# collector's passes over its heap at exit (jzplan.core.process)
exit_without_collecting()
