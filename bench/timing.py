"""The benchmarks' one timer: best of several runs of many calls each."""
from __future__ import annotations

import time


def best_seconds(call, *, repeat: int, run_seconds: float) -> float:
    """Seconds per call: the best of ``repeat`` runs, each of enough calls to
    last about ``run_seconds`` (the first call sizes the runs and warms caches)."""
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(run_seconds / once))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls)
    return best
