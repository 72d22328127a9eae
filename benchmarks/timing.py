"""Timing shared by the benchmarks."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def seconds(call: Callable[[], object]) -> float:
    """Wall seconds of one ``call()``."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def median_time(call: Callable[[], object], repeats: int) -> float:
    """Median wall seconds of ``call()`` over ``repeats`` calls, after one warm-up call."""
    call()
    return statistics.median(seconds(call) for _ in range(repeats))
