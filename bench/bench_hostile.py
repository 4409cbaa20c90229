"""The hostile corpus (tests/hostile/corpus): its time in one run, and each case's
time against its limit.

    python bench/bench_hostile.py [--timeout 3] [--repeat 1] [--generated]

Figures (issue 7): the whole corpus in at most 30 s, as one
``python -m verify corpus/ --timeout 3`` (a fresh process: start-up,
loading, running on the default number of workers, reports); and no case
taking longer than its limit plus one second. For the second figure the
cases run one at a time in a worker (``--jobs 1``), so the time from one
result to the next is that case's time, time-limit kills and worker
restarts included. Loading is timed per file too (in this process, no limit).

Issue 11 (``--generated``): each input of tests/hostile/generated.py (FIFOs,
/dev/zero, sparse 1 GiB files, 2M-row CSVs, 5M YAML scalars, ...) is run
one at a time beside a good case, then all together in one run; for each
run: wall time against ``--timeout`` + 10 s (all together: ``--timeout``
for each input the time limit stopped, plus 10 s), the verify process's own peak
RSS against 500 MB (its workers have the memory cap), the good case's
status and whether the report set is whole.
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
    from verify.core.run_options import RunOptions
    from verify.runner import load
    times = []
    for path in sorted(corpus.rglob("*.y*ml")):
        if path.name in ("slow_building.yaml", "min_of_600.yaml"):
            continue  # they hang while building: only a time limit ends them
        started = time.perf_counter()
        load([path], RunOptions(timeout=0))
        times.append((time.perf_counter() - started, str(path.relative_to(corpus))))
    return sorted(times, reverse=True)


def per_case(corpus, timeout):
    from verify.core.run_options import RunOptions
    from verify.runner import load
    from verify.workers import run_in_workers
    cases = load([corpus], RunOptions(timeout=timeout)).cases
    times, last = [], time.perf_counter()
    for run in run_in_workers(cases, RunOptions(timeout=timeout), jobs=1):
        now = time.perf_counter()
        stopped = any(r.check == "run" and r.message.startswith("time limit") for r in run.results)
        times.append((now - last, run.case_id, stopped))
        last = now
    return sorted(times, reverse=True)


def _judge(out, seconds, status, stdout, peak, timeout, together=False):
    import csv
    import hashlib
    import json
    try:
        manifest = json.loads((out / "manifest.json").read_text())
        whole = all(hashlib.sha256((out / n).read_bytes()).hexdigest() == d
                    for n, d in manifest["sha256"].items())
        with open(out / "results.csv", newline="") as stream:
            rows = list(csv.DictReader(stream))
        good = {r["status"] for r in rows if r["case"] == "good_neighbour"}
        limited = sum("time limit" in r["message"] for r in rows)
    except (OSError, ValueError, KeyError):
        whole, good, limited = False, set(), 0
    # one input: its time limit and 10 s; all together: each stopped input its
    # time limit (one after another, at worst), and 10 s for the rest
    budget = timeout * max(1, limited if together else 1) + 10
    ok = seconds <= budget and peak < 500 and good == {"pass"} and whole
    return (f"{seconds:6.1f} s  parent peak {peak:5.0f} MB  exit {status}  good "
            f"{'/'.join(sorted(good)) or 'missing'}  reports {'whole' if whole else 'BROKEN'}"
            f"  (budget {budget:g} s) {'met' if ok else 'MISSED'}")


# the issue 11 inputs committed to the corpus (small files), run one at a time too
ISSUE_11_FILES = ("yaml11_binary", "yaml11_sexagesimal", "yaml_date", "yaml_two_documents",
                  "yaml12_numbers", "point_long_decimal", "steps_bad", "overflow_constants",
                  "confusables", "data_reserved_columns", "graph_typo", "data_nul_path",
                  "slow_building", "min_of_600", "nested/bom_csv")


def _corpus_inputs(base):
    made = {}
    for name in ISSUE_11_FILES:
        folder = base / name.replace("/", "-")
        shutil.copytree(CORPUS / "data", folder / "data")
        source = CORPUS / f"{name}.yaml"
        shutil.copy(source, folder / source.name)
        for csv in source.parent.glob("*.csv"):
            shutil.copy(csv, folder / csv.name)
        made[name] = (folder, None)
    return made


def generated(timeout):
    from tests.hostile.generated import INPUTS, make_all, run_verify
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        made = make_all(base / "in", list(INPUTS))
        made.update(_corpus_inputs(base / "corpus"))
        good = base / "in" / "good"
        print(f"issue 11 inputs, --timeout {timeout:g}, --jobs 2 (limit: timeout + 10 s, "
              "parent < 500 MB, good case passes, reports whole)")
        for name, (folder, _) in made.items():
            out = base / f"out-{name}"
            seconds, status, stdout, _, peak = run_verify(ROOT, [folder, good], out, timeout, base)
            print(f"  {name:22s} {_judge(out, seconds, status, stdout, peak, timeout)}")
        out = base / "out-all"
        seconds, status, stdout, _, peak = run_verify(
            ROOT, [folder for folder, _ in made.values()] + [good], out, timeout, base)
        print(f"  {'all together':22s} "
              f"{_judge(out, seconds, status, stdout, peak, timeout, together=True)}"
              f"  ({len(made)} inputs)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--generated", action="store_true",
                        help="only the issue 11 inputs made on the fly, one at a time and together")
    args = parser.parse_args(argv)
    if args.generated:
        return generated(args.timeout)
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
