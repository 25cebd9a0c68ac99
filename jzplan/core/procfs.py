"""What Linux's ``/proc/<pid>/stat`` says of a process: its state letter and the CPU time it
has used; None where there is no /proc (or no such process)."""

from __future__ import annotations

import os
from pathlib import Path


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (the state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name, in parentheses, may hold spaces and parentheses itself
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) ``pid`` has used, or None."""
    fields = stat_fields(pid)
    if fields is None or len(fields) < 13:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
