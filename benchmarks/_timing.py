"""Timing helper shared by the benchmark scripts (run as `python benchmarks/NAME.py`, so it imports as `_timing`)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(repeats: int, task: Callable[[], object], *, warm_up: bool = False) -> float:
    """Fastest of ``repeats`` runs of ``task``, in seconds (the least noisy summary on a shared machine)."""
    if warm_up:
        task()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return min(times)
