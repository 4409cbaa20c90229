"""Benchmark of the error curves and of the report (issue 5).

Run: ``python bench/bench_report.py`` (prints Markdown; ``--quick`` skips
the thousand-case run). Three figures, each against its target:

1. An ``error_curve`` of 100 steps for forward and central differences,
   float64 and 50-digit mpmath, per case for the lab's functions
   (:mod:`corpus`, the ``lab_*`` entries, plus x^2 at 3 and Squire and
   Trapp's function at 1.5): the whole check (``run_error_curve``), best
   of REPEAT runs with the exact engine warm (its SymPy derivative is
   shared with the case's other checks), and the first, cold run beside it.
2. The report set of the shipped cases (``cases/``): ``write_reports``
   alone, the first time in this process and then best of 3, after the cases
   ran as ``python -m verify`` runs them (worker processes, which draw the
   figures the page shows in parallel; formulas are MathML, so the report
   loads no matplotlib), target at most 0.5 s; and beside it after an
   in-process run (``--timeout 0 --jobs 1``), where the report draws every
   figure itself.
3. A thousand generated cases (a mix of derivative checks, a hundred error
   curves, and failing expectations): the run (``python -m verify``, two
   workers) and the report alone, with the size of report.html and the
   figures drawn (the writer's caps: FIGURE_CAP, then failures only); if
   Chromium is installed, the time it takes to load and lay out the page.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from corpus import load as corpus  # noqa: E402  (bench/corpus.py)

from verify.checks.common import Artifacts  # noqa: E402
from verify.core.run_options import RunOptions  # noqa: E402
from verify.checks.error_curve import run_error_curve  # noqa: E402
from verify.report import write_reports  # noqa: E402
from verify.report.writer import FAILURE_FIGURE_CAP, FIGURE_CAP  # noqa: E402
from verify.core.result import is_load_error  # noqa: E402
from verify.runner import load, run_all  # noqa: E402

REPEAT = 5
TARGET_CURVE_MS = 20.0
TARGET_SHIPPED_S = 0.5
TARGET_LARGE_S = 30.0
TARGET_LARGE_MB = 20.0
LARGE = 1000


def curve_cases(folder: Path):
    lines = ["cases:"]
    entries = [(e.name, e.text, e.point_text) for e in corpus() if e.name.startswith("lab_")]
    entries += [("issue_square", "x**2", "3"),
                ("squire_trapp", "exp(x)/sqrt(sin(x)**3 + cos(x)**3)", "1.5")]
    for name, text, point in entries:
        lines.append(f"  - {{name: {name}, function: '{text}', at: {{x: '{point}'}}, checks: "
                     "{error_curve: {num: 100, dps: 50, methods: [forward, central], "
                     "h_max: 0.5}}}")
    path = folder / "curves.yaml"
    path.write_text("\n".join(lines) + "\n")
    return load([path]).cases


def bench_curves(folder):
    rows = []
    for case in curve_cases(folder):
        check = case.checks[0]
        start = time.perf_counter()
        run_error_curve(case, check, RunOptions(), Artifacts())
        cold = time.perf_counter() - start
        best = float("inf")
        for _ in range(REPEAT):
            start = time.perf_counter()
            rows_of_case = run_error_curve(case, check, RunOptions(), Artifacts())
            best = min(best, time.perf_counter() - start)
        statuses = sorted({r.status for r in rows_of_case})
        rows.append((case.name, case.function_text, best * 1e3, cold * 1e3, "/".join(statuses)))
    return rows


def run_cases(paths, jobs=1, timeout=0.0):
    loaded = load(paths)
    runs = [entry for entry in run_all(loaded, RunOptions(timeout=timeout), jobs=jobs)
            if not is_load_error(entry)]
    results = [r for run in runs for r in run.results] + list(loaded.errors)
    return results, runs


def time_report(results, runs, out, repeat=1):
    """Best wall-clock seconds of ``repeat`` writes, and that write's CPU seconds
    (which a busy shared machine does not inflate)."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        write_reports(out, results, runs)
        best = min(best, (time.perf_counter() - start, time.process_time() - cpu))
    return best


FUNCTIONS = ("sin(x**2)", "exp(sin(x**2 + 1))", "(3*x + 1)**4", "log(1 + x**2)",
             "tanh(x)*x", "sigmoid(x)", "sqrt(1 + x**2)", "x**3 - 2*x")


def generated_cases(folder: Path, count: int = LARGE) -> Path:
    """``count`` cases: mostly derivative checks, one in 10 an error curve (more
    figures than the page draws), one in 20 a wrong expectation (a failure),
    and so is one error curve in 5 (failing cases draw their figures first)."""
    lines = ["cases:"]
    for i in range(count):
        text = FUNCTIONS[i % len(FUNCTIONS)]
        point = f"{0.1 + (i % 37) * 0.05:.2f}"
        if i % 10 == 0:
            checks = "{error_curve: {methods: [forward, central]}}"
        else:
            checks = "{derivative: {methods: [central, central4, complex_step]}}"
        wrong = i % 20 == 7 or i % 50 == 0
        expect = ", expect: {value: 12345}" if wrong else ""
        lines.append(f"  - {{name: g{i:04d}, function: '{text}', at: {{x: '{point}'}}, "
                     f"checks: {checks}{expect}}}")
    path = folder / "generated.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def chromium_load_seconds(page: Path):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        return None
    with tempfile.TemporaryDirectory() as profile:
        start = time.perf_counter()
        subprocess.run([executable, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--no-first-run",
                        f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                       capture_output=True, timeout=300)
        return time.perf_counter() - start


def verdict(ok):
    return "PASS" if ok else "MISS"


def main(argv):
    quick = "--quick" in argv
    print(f"# bench_report ({platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores)\n")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        rows = bench_curves(scratch)
        print("## error_curve: 100 steps, forward + central, float64 + 50-digit mpmath\n")
        print("| case | function | best ms (warm) | first ms (cold) | rows |")
        print("|---|---|---:|---:|---|")
        for name, text, warm, cold, statuses in rows:
            print(f"| {name} | `{text}` | {warm:.1f} | {cold:.1f} | {statuses} |")
        lab = [r for r in rows if r[0].startswith(("lab_", "issue_"))]
        worst = max(r[2] for r in lab)
        print(f"\nworst lab function {worst:.1f} ms (target <= {TARGET_CURVE_MS:g} ms): "
              f"{verdict(worst <= TARGET_CURVE_MS)}\n")

        results, runs = run_cases([ROOT / "cases"], jobs=2, timeout=120.0)
        loaded_before = "matplotlib" in sys.modules
        cold, cold_cpu = time_report(results, runs, scratch / "shipped")
        warm, warm_cpu = time_report(results, runs, scratch / "shipped", repeat=3)
        imported = "matplotlib" in sys.modules and not loaded_before
        drawn = sum(len(figure) == 4 for run in runs for figure in run.figures)
        size = (scratch / "shipped" / "report.html").stat().st_size
        plots = len(list((scratch / "shipped" / "plots").glob("*.svg")))
        print("## report of the shipped cases\n")
        print(f"{len(runs)} cases, {len(results)} rows, {plots} SVG figures ({drawn} figures "
              f"and graph tables drawn by the workers), report.html {size / 1e6:.2f} MB; the "
              f"report imported matplotlib: {imported}\n")
        print("| write_reports | wall s | CPU s | target |")
        print("|---|---:|---:|---|")
        print(f"| first in this process, after a run in workers (as `python -m verify`) "
              f"| {cold:.2f} | {cold_cpu:.2f} | <= {TARGET_SHIPPED_S:g} s: "
              f"{verdict(cold_cpu <= TARGET_SHIPPED_S)} (CPU) |")
        print(f"| again (best of 3) | {warm:.2f} | {warm_cpu:.2f} | <= {TARGET_SHIPPED_S:g} s: "
              f"{verdict(warm_cpu <= TARGET_SHIPPED_S)} (CPU) |")
        results, runs = run_cases([ROOT / "cases"])
        alone, alone_cpu = time_report(results, runs, scratch / "in-process")
        print(f"| after an in-process run (`--jobs 1 --timeout 0`): the report draws the "
              f"figures | {alone:.2f} | {alone_cpu:.2f} | |")
        print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        if quick:
            return
        path = generated_cases(scratch)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "verify", str(path), "--out",
                        str(scratch / "cli"), "-q", "--jobs", "2"], cwd=ROOT,
                       capture_output=True, timeout=3600)
        cli_seconds = time.perf_counter() - start
        results, runs = run_cases([path], jobs=2, timeout=120.0)
        seconds, cpu = time_report(results, runs, scratch / "large")
        page = scratch / "large" / "report.html"
        size = page.stat().st_size / 1e6
        plots = len(list((scratch / "large" / "plots").glob("*.svg")))
        failing = len({r.case_id for r in results if r.status in ("fail", "error")})
        loading = chromium_load_seconds(page)
        print(f"## {LARGE} generated cases\n")
        print("| figure | value | target | |")
        print("|---|---:|---:|---|")
        print(f"| run + reports (`python -m verify`, 2 workers) | {cli_seconds:.1f} s | | |")
        print(f"| report alone (CPU {cpu:.2f} s) | {seconds:.2f} s | <= {TARGET_LARGE_S:g} s | "
              f"{verdict(seconds <= TARGET_LARGE_S)} |")
        print(f"| report.html | {size:.2f} MB | < {TARGET_LARGE_MB:g} MB | "
              f"{verdict(size < TARGET_LARGE_MB)} |")
        curves = sum(1 for run in runs if run.figures)
        print(f"| figures drawn / cases with figures / failing cases | {plots} / {curves} / "
              f"{failing} | cap {FIGURE_CAP}, failures to {FAILURE_FIGURE_CAP} | |")
        if loading is not None:
            print(f"| Chromium: load and lay out the page (`--dump-dom`) | {loading:.1f} s | | |")


if __name__ == "__main__":
    main(sys.argv[1:])
