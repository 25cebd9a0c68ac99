"""What Linux's ``/proc/<pid>/stat`` says of a process: its state letter and the CPU time it
has used; None where there is no /proc (or no such process)."""

from __future__ import annotations

import os


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (the state first), or None."""
    try:  # open(), not pathlib: the bench reads every process's every 0.1 s (bench.cpu_use)
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # the command name, in parentheses, may hold spaces, parentheses and any bytes itself;
    # what follows it is ASCII
    return data.rsplit(b")", 1)[1].decode("ascii").split()


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) ``pid`` has used, or None."""
    fields = stat_fields(pid)
    if fields is None or len(fields) < 13:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
