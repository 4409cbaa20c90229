"""Fuzzing: 10,000 random expressions from the allow-list, at random points.

    python bench/fuzz.py [--count 10000] [--seed 1] [--jobs 2] [--limit 60]

Each expression (the generator of ``tests/test_fuzz.py``: up to three
levels of the allowed functions, + - * / ** and Max/Min, in one or two
variables) is loaded as a case and run through the derivative or gradient
check (central, central4, complex step) and the backprop check, in this
order: the exact engine, the finite differences and backprop each against
the others. Printed: the counts of rows by status, and the two figures that
must be zero:

- crashes: an internal error row, or an exception out of the loader or the
  checks (anything that is not a named reason);
- disagreements outside the bounds: a ``fail`` row, or a ``pass`` at a
  point outside the domain or at a kink.

A case the loader refuses (SymPy simplified a variable away, or a constant
that is complex where Max needs a comparison) is counted as refused, with
its reason. A case over ``--limit`` seconds is counted as timed out (a
SIGALRM in the worker). The first few bad cases are printed in full, so
they can be pasted into a case file.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_fuzz import COORDINATES, outcome, random_expression  # noqa: E402


class _TimedOut(BaseException):
    """Not an Exception: run_case turns those into rows and would carry on."""


def _alarm(signum, frame):
    raise _TimedOut


def sample(seed: int, index: int):
    rng = random.Random(f"{seed}:{index}")
    variables = rng.choice((("x",), ("x",), ("x", "y")))
    function = random_expression(rng.choice, variables)
    return function, {v: rng.choice(COORDINATES) for v in variables}


def one(job):
    seed, index, limit = job
    function, point = sample(seed, index)
    started = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)
    try:
        counts = outcome(function, point)
    except _TimedOut:
        counts = Counter(timed_out=1)
        counts["why"] = [f"over {limit} s"]
    except Exception as exc:  # noqa: BLE001 - the point of a fuzzer
        counts = Counter(crash=1)
        counts["why"] = [f"{type(exc).__name__}: {exc}"]
    finally:
        signal.alarm(0)
    counts["seconds"] = time.perf_counter() - started
    return index, function, point, counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=60, help="seconds per expression")
    args = parser.parse_args(argv)
    import warnings
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    totals, bad, refused, slowest = Counter(), [], Counter(), []
    jobs = [(args.seed, i, args.limit) for i in range(args.count)]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for index, function, point, counts in pool.imap_unordered(one, jobs, chunksize=8):
            why = counts.pop("why", [])
            seconds = counts.pop("seconds")
            slowest = sorted(slowest + [(seconds, function, point)], reverse=True)[:5]
            totals.update(counts)
            if counts["refused"]:
                refused[re.sub(r"^.*?key '[^']*': ", "", why[0])[:60]] += 1
            if counts["crash"] or counts["fail"] or counts["passed_at_a_problem"] \
                    or counts["timed_out"]:
                bad.append((index, function, point, dict(counts), why[:3]))
    wall = time.perf_counter() - started
    crashes = totals["crash"]
    disagreements = totals["fail"] + totals["passed_at_a_problem"]
    print(f"fuzz: {args.count} random expressions (seed {args.seed}), {wall:.0f} s wall "
          f"with {args.jobs} processes")
    print(f"  rows: {totals['pass']} pass, {totals['skip']} skip, {totals['error']} error "
          "(named reasons: domain, pole, kink, no finite bound)")
    print(f"  refused by the loader: {totals['refused']} "
          f"({', '.join(f'{n} x {w}' for w, n in refused.most_common(3))})")
    print(f"  timed out (> {args.limit} s): {totals['timed_out']}")
    print(f"  crashes: {crashes}")
    print(f"  disagreements outside the bounds: {disagreements} "
          f"({totals['fail']} fail rows, {totals['passed_at_a_problem']} passes at a problem "
          "point)")
    print("  slowest: " + "; ".join(f"{s:.1f} s {f} at {p}" for s, f, p in slowest[:3]))
    for index, function, point, counts, why in sorted(bad)[:10]:
        print(f"  BAD #{index}: function: {function!r} at {point}: {counts}")
        for line in why:
            print(f"      {line[:300]}")
    return 1 if crashes or disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
