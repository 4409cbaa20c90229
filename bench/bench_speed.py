"""verify against SymPy alone: whole derivative cases beside diff + lambdify.

    python bench/bench_speed.py [--counts 300 1000] [--seed 2026]

For each count, ``bench/smooth_cases.py`` generates that many distinct
smooth one-variable functions (compositions up to four levels deep) as
derivative cases with all six methods. Two fresh processes are timed on the
same expressions: ``python -m verify FILE --jobs 1`` (load, exact values,
six differences, six rigorous bounds, reports), and a script that only
parses each expression and runs ``sympy.diff`` (first order) and
``sympy.lambdify`` on it. The ratio verify / SymPy is the target: below 1.

A shared machine's speed drifts by tens of percent within minutes, so the
two commands alternate ``--repeat`` times (default 3) and the best time of
each is compared (as ``timeit`` does); every time is printed. Then the time
of ``error_curve`` cases on ``--curves`` generated functions, one by one.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.smooth_cases import case_file, cases  # noqa: E402

SYMPY_ONLY = """
import sys, sympy
from verify.input.expressions import parse, symbol
x = symbol("x")
for line in open(sys.argv[1]).read().splitlines():
    expr = parse(line)
    sympy.lambdify((x,), sympy.diff(expr, x), modules=["scipy", "numpy"])
"""


def wall(command, env_path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(env_path), "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or [done.stderr.strip()[-200:]])[-1]
    return seconds, f"exit {done.returncode}: {last[:110]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="*", default=[300, 1000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--curves", type=int, default=40,
                        help="error_curve cases to time one by one (0: none)")
    args = parser.parse_args()
    python = sys.executable
    print(f"{'cases':>6} {'verify s':>9} {'sympy s':>8} {'ratio':>6}  "
          "(best of each; every run's time, verify / sympy)  verify's outcome")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for count in args.counts:
            cases_path = folder / f"derivative{count}.yaml"
            cases_path.write_text(case_file("derivative", count, args.seed))
            exprs = folder / f"expressions{count}.txt"
            exprs.write_text("\n".join(c["function"] for c in cases("derivative", count,
                                                                       args.seed)) + "\n")
            ours, theirs = [], []
            for _ in range(max(1, args.repeat)):
                seconds, outcome = wall([python, "-m", "verify", str(cases_path), "--jobs", "1",
                                         "-q", "--out", str(folder / f"out{count}")], ROOT)
                ours.append(seconds)
                theirs.append(wall([python, "-c", SYMPY_ONLY, str(exprs)], ROOT)[0])
            runs = " ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(ours, theirs))
            print(f"{count:>6} {min(ours):>9.1f} {min(theirs):>8.1f} "
                  f"{min(ours) / min(theirs):>6.2f}  ({runs})  {outcome}", flush=True)
    print("target: ratio < 1 (verify's whole derivative case costs less than SymPy's "
          "diff + lambdify of the function)")
    if args.curves:
        curve_times(args.curves, args.seed)


def curve_times(count: int, seed: int) -> None:
    """Per-case time of ``error_curve`` cases (six methods, 100 steps, float64
    and 50-digit arithmetic) on generated functions, in this process: each
    case built, then run alone (its exact values, curves, models and rows;
    no report). The first three warm the caches of imports and are not counted."""
    from verify.checks.case import run_case
    from verify.core.run_options import RunOptions
    from verify.runner import load
    options = RunOptions(timeout=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "curves.yaml"
        path.write_text(case_file("error_curve", count + 3, seed))
        built = load([path], options).cases
    for case in built[:3]:
        run_case(case, options)
    times = []
    for case in built[3:]:
        started = time.perf_counter()
        run_case(case, options)
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"error_curve, {len(times)} generated functions: median "
          f"{1000 * times[len(times) // 2]:.0f} ms, 90th percentile "
          f"{1000 * times[int(0.9 * len(times))]:.0f} ms, mean "
          f"{1000 * sum(times) / len(times):.0f} ms a case (goal: 100 ms)")


if __name__ == "__main__":
    main()
