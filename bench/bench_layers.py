"""Benchmark of a tensor case: softmax cross-entropy, 10 classes, W 10x10.

Run: ``python bench/bench_layers.py``. Runs bench/softmax_ce_10.yaml (the
linear layer of cases/layers.yaml at 10 classes: 110 variables, checks
gradient with central and richardson, and backprop) in this process and
prints the wall time of the whole case (imports of the runner and pandas
included, as a first call pays them), the CPU time of this process over the
same span (the figure to read on a shared machine), the number of rows and
their statuses. Target (issue 13): at most 2 s.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from verify import api  # noqa: E402


def main() -> None:
    start, cpu = time.perf_counter(), time.process_time()
    rows = api.run(HERE / "softmax_ce_10.yaml")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts = ", ".join(f"{n} {s}" for s, n in rows.status.value_counts().items())
    print(f"softmax cross-entropy, 10 classes, W 10x10: {seconds:.2f} s ({cpu:.2f} s CPU) "
          f"for {len(rows)} rows ({counts}); target 2 s")


if __name__ == "__main__":
    main()
