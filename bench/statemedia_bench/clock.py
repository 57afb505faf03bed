"""Wall and CPU time of a benchmark step, and how busy the machine was meanwhile (stdlib only, so
that the datatrove environment imports it too).

CPU seconds are user + system time of this process and of its children that have been waited for
(`getrusage(RUSAGE_SELF)` + `getrusage(RUSAGE_CHILDREN)`): the worker processes of a pool count
once the pool is closed. The machine's busy seconds come from the first line of /proc/stat (all
cores, every process), so busy minus a step's own CPU is what other processes took meanwhile.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
PROC_LOADAVG = Path("/proc/loadavg")


def cpu_seconds() -> float:
    """User + system seconds of this process and of its waited-for children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def children_cpu_seconds() -> float:
    """User + system seconds of this process's waited-for children so far."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def busy_jiffies(stat_line: str) -> int:
    """Non-idle clock ticks of a /proc/stat `cpu` line (user nice system irq softirq steal)."""
    fields = stat_line.split()
    if not fields or fields[0] != "cpu":
        raise ValueError(f"not the aggregate cpu line of /proc/stat: {stat_line!r}")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return user + nice + system + irq + softirq + steal  # guest time is already in user


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores, all processes) since boot."""
    line = PROC_STAT.read_text().splitlines()[0]
    return busy_jiffies(line) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The 1-minute load average."""
    return float(PROC_LOADAVG.read_text().split()[0])


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of one step."""

    wall_s: float
    cpu_s: float  # user + system, this process and its waited-for children


class Stopwatch:
    """Wall and CPU time since it was made: `watch = Stopwatch(); ...; watch.timing()`."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = cpu_seconds()

    def timing(self) -> Timing:
        """Seconds since the stopwatch was made."""
        return Timing(time.perf_counter() - self._wall, cpu_seconds() - self._cpu)
