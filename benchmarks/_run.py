"""Running the real command for benchmarks: one core, CPU time measured."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time


def geomap_cmd() -> list[str]:
    """The installed `geomap` command (or the module), pinned to one core when possible."""
    exe = shutil.which("geomap")
    base = [exe] if exe else [sys.executable, "-m", "geomap.cli"]
    return (["taskset", "-c", "0"] if shutil.which("taskset") else []) + base


def run_cpu(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of a command, stdout discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
