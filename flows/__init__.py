"""Prefect flows composing the tasks into the monthly run, backfills and the demo."""

from jzplan.core.process import entrypoint_imported, exit_without_collecting, start_flow_run

__all__ = ["entrypoint_imported"]  # the last line of every prefect.yaml entrypoint's module

# a worker's flow-run process imports its entrypoint's module without cyclic collection; the
# module's last line (``entrypoint_imported``) turns it back on (jzplan.core.process)
start_flow_run()

# a process that runs flows (``jzplan run``, a worker's flow run, the demo) ends without the
# collector's passes over its heap at exit (jzplan.core.process)
exit_without_collecting()
