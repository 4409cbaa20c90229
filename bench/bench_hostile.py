"""The hostile corpus (tests/hostile/corpus): its time in one run, and each case's
time against its limit.

    python bench/bench_hostile.py [--timeout 3] [--repeat 1]

Figures (issue 7): the whole corpus in at most 30 s, as one
``python -m verify corpus/ --timeout 3`` (a fresh process: start-up,
loading, running on the default number of workers, reports); and no case
taking longer than its limit plus one second. For the second figure the
cases run one at a time in a worker (``--jobs 1``), so the time from one
result to the next is that case's time, time-limit kills and worker
restarts included. Loading is timed per file too: it happens in the main
process before any worker starts, bounded by the size limits (file size,
YAML nodes, expression length and size), not by ``--timeout``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "hostile" / "corpus"
BUDGET = 30.0
GRACE = 1.0


def whole_run(corpus, timeout):
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "verify", str(corpus), "--out",
                               str(Path(work) / "out"), "--timeout", str(timeout), "-q"],
                              cwd=work, env=env, capture_output=True, text=True)
        return time.perf_counter() - started, done.returncode, done.stdout.strip()


def per_file_loading(corpus):
    from verify.runner import load
    times = []
    for path in sorted(corpus.rglob("*.y*ml")):
        started = time.perf_counter()
        load([path])
        times.append((time.perf_counter() - started, str(path.relative_to(corpus))))
    return sorted(times, reverse=True)


def per_case(corpus, timeout):
    from verify.checks.common import RunOptions
    from verify.runner import load
    from verify.workers import run_in_workers
    cases = load([corpus]).cases
    times, last = [], time.perf_counter()
    for run in run_in_workers(cases, RunOptions(timeout=timeout), jobs=1):
        now = time.perf_counter()
        stopped = any(r.check == "run" and r.message.startswith("time limit") for r in run.results)
        times.append((now - last, run.case_id, stopped))
        last = now
    return sorted(times, reverse=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus"
        shutil.copytree(CORPUS, corpus)
        files = len(list(corpus.rglob("*.y*ml")))
        print(f"hostile corpus: {files} case files; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for k in range(args.repeat):
            wall, status, last = whole_run(corpus, args.timeout)
            print(f"  one CLI run (--timeout {args.timeout:g}, default jobs): {wall:.1f} s wall, "
                  f"exit {status} (budget {BUDGET:g} s: {'met' if wall <= BUDGET else 'MISSED'})")
            print(f"    {last.splitlines()[-1] if last else ''}")
        loading = per_file_loading(corpus)
        print(f"  loading, all files: {sum(t for t, _ in loading):.2f} s; slowest: "
              + ", ".join(f"{name} {t:.2f} s" for t, name in loading[:3]))
        cases = per_case(corpus, args.timeout)
        limited = [(t, c) for t, c, stopped in cases if stopped]
        finished = [(t, c) for t, c, stopped in cases if not stopped]
        worst = max(t for t, _, _ in cases)
        print(f"  per case (--jobs 1, {len(cases)} cases that loaded): slowest {worst:.2f} s "
              f"against a limit of {args.timeout:g} s + {GRACE:g} s "
              f"({'met' if worst <= args.timeout + GRACE else 'MISSED'})")
        for t, case_id in limited:
            print(f"    stopped at the limit: {case_id}: {t:.2f} s (over the limit by "
                  f"{t - args.timeout:.2f} s)")
        if finished:
            t, case_id = finished[0]
            print(f"    slowest case that finished: {case_id}: {t:.2f} s")


if __name__ == "__main__":
    main()
