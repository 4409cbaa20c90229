"""The CLI at scale: a generated corpus of 1,000 cases, run with --jobs 1,
--jobs 2 and ``pytest -n 2``, and the time of ``python -m verify --help``.

    python bench/bench_scale.py [--cases 1000] [--keep DIR]

The corpus mixes derivative cases (one variable, six methods), gradient
cases (two or three variables, six methods) and, when the backprop check
exists, backprop cases on small graphs; every expression is distinct
(coefficients drawn with a fixed seed), so the exact engine's caches do not
make the run trivial. Times are wall-clock seconds of whole runs, each a
fresh process (start-up, SymPy import, loading, running, reports); "cpu s"
adds up the CPU time of the run's processes (workers included) and "cores"
is cpu / wall, the cores the run kept busy, which with the machine's load
average beside it tells a slow-down by other work from one of our own. The
``--help`` time is shown beside the time of ``python -c pass``, the
interpreter's own start-up on this machine.

The phases (best of three runs of the CLI each): the serial part is the
parent alone, importing before the workers start and writing the reports
after they end; while they run, the parent receives their results. On two
free cores, by Amdahl's law, a run takes serial + (workers' CPU + the
parent's CPU beside them) / 2; with the parent's share on a third core,
serial + workers' CPU / 2. Both speed-ups are printed, from the one-job run
(the work itself, not slowed by a second job).
"""
from __future__ import annotations

import argparse
import compileall
import contextlib
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = 10  # the corpus is spread over this many case files
TARGET_SPEEDUP = 1.8  # --jobs 2 over --jobs 1, two free cores

ONE = ("sin({a}*x**2 + {b})", "exp({a}*x)*cos({b}*x)", "log(1 + exp({a}*x + {b}))",
       "tanh({a}*x)*x**2 + {b}", "sqrt(1 + {a}*x**2)/({b} + x**2)", "atan({a}*x) + x**3/{b}",
       "sigmoid({a}*x - {b})", "erf({a}*x)*exp(-{b}*x**2)")
SEVERAL = ("x*exp(-{a}*y**2) + {b}*log(1 + x**2)", "sin({a}*x*y) + {b}*z**2*x",
           "({a}*x + {b}*y - z)**2", "log(1 + exp(-({a}*x + {b}*y)))", "tanh({a}*x + {b}*y)*z")
GRAPHS = (  # (nodes, variables, parameters)
    ({"z": "w*x + {b}", "h": "tanh(z)", "L": "(h - {a})**2"}, ("w",), "{x: 0.5}"),
    ({"z": "{a}*w + b", "p": "sigmoid(z)", "L": "-log(p)"}, ("b", "w"), ""),
    ({"u": "w*w + {a}*b", "v": "exp(-u/{b})", "L": "v*w"}, ("b", "w"), ""))


def _number(rng, low, high):
    return f"{rng.uniform(low, high):.2f}"


def case_text(index: int, rng: random.Random, backprop: bool) -> str:
    """One case in YAML, of the kind index % 3 selects."""
    a, b = rng.randint(1, 9), rng.randint(2, 9)
    kind = index % 3 if backprop else index % 2
    if kind == 0:
        function = ONE[index % len(ONE)].format(a=f"{a}/{b + 1}", b=b)
        return (f"  - name: d{index}\n    function: {function}\n"
                f"    at: {{x: {_number(rng, 0.2, 1.8)}}}\n    checks: [derivative]\n")
    if kind == 1:
        function = SEVERAL[index % len(SEVERAL)].format(a=f"{a}/{b + 1}", b=b)
        names = ("x", "y", "z") if "z" in function else ("x", "y")
        point = ", ".join(f"{n}: {_number(rng, 0.2, 1.8)}" for n in names)
        return (f"  - name: g{index}\n    function: {function}\n    at: {{{point}}}\n"
                "    checks: [gradient]\n")
    graph, variables, parameters = GRAPHS[index % len(GRAPHS)]
    nodes = "".join(f"      {node}: {text.format(a=a, b=b)}\n" for node, text in graph.items())
    point = ", ".join(f"{n}: {_number(rng, 0.2, 1.8)}" for n in variables)
    return (f"  - name: b{index}\n    graph:\n{nodes}"
            + (f"    parameters: {parameters}\n" if parameters else "")
            + f"    variables: [{', '.join(variables)}]\n"
            f"    at: {{{point}}}\n    checks: [backprop]\n")


def write_corpus(folder: Path, count: int, backprop: bool) -> None:
    rng = random.Random(20240601)
    per_file = -(-count // FILES)
    for start in range(0, count, per_file):
        stop = min(count, start + per_file)
        body = "".join(case_text(i, rng, backprop) for i in range(start, stop))
        (folder / f"part{start // per_file:02d}.yaml").write_text("cases:\n" + body)


def timed(command, cwd) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the run and all its processes, last line)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return seconds, cpu, f"exit {done.returncode}: {last[:100]}"


def _burn(count: int) -> float:
    total = 0
    for i in range(count):
        total += i * i
    return float(total)


def ceiling(count: int = 20_000_000) -> float:
    """The speed-up two CPU-bound processes get on this machine right now:
    the most --jobs 2 can reach while other work shares the cores."""
    import multiprocessing
    started = time.perf_counter()
    _burn(count)
    one = time.perf_counter() - started
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_burn, [count, count])
    return 2 * one / (time.perf_counter() - started)


def phases(jobs: int, corpus: str) -> None:
    """One CLI run (``verify.cli.main``) with its phases marked; prints them as JSON:
    the wall time of each phase, the parent's CPU in each, the workers' CPU."""
    import json

    def cpu(who=resource.RUSAGE_SELF):
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime
    from verify.cli import _one_blas_thread, main  # light: NumPy is not imported yet
    stack = contextlib.ExitStack()
    stack.enter_context(_one_blas_thread())  # the CLI's own rule, before the imports below
    marks = [("start", time.perf_counter(), cpu())]
    import verify.report
    import verify.runner

    def marking(name, function):
        def marked(*args, **kwargs):
            marks.append((name, time.perf_counter(), cpu()))
            return function(*args, **kwargs)
        return marked
    verify.runner.load = marking("import", verify.runner.load)
    verify.runner.run_all = marking("load", verify.runner.run_all)  # the run phase starts
    verify.report.write_reports = marking("run", verify.report.write_reports)
    with stack, contextlib.redirect_stdout(io.StringIO()):
        main([corpus, "--jobs", str(jobs), "-q", "--out", "out-phases"])
    marks.append(("reports", time.perf_counter(), cpu()))
    spans = {name: (at - last_at, used - last_used)
             for (name, at, used), (_, last_at, last_used) in zip(marks[1:], marks)}
    print(json.dumps({"spans": spans, "workers": cpu(resource.RUSAGE_CHILDREN)}))


def phase_figures(runs) -> tuple[str, float, float]:
    """The phases of several runs (best of each), and the speed-up two free
    cores give by Amdahl's law. The serial part is the parent's time before
    and after the workers (imports, reports). While the workers run, the
    parent collects their results: on a machine of two cores that CPU takes
    the workers' time too, so the speed-up of such a machine is
    (serial + workers) / (serial + (workers + parent beside them) / 2)."""
    best = {name: min(run["spans"][name][0] for run in runs) for name in runs[0]["spans"]}
    serial = best["import"] + best["reports"]
    beside = min(run["spans"]["load"][1] + run["spans"]["run"][1] for run in runs)
    workers = min(run["workers"] for run in runs)
    two_cores = (serial + workers) / (serial + (workers + beside) / 2)
    cores_free = (serial + workers) / (serial + workers / 2)
    text = (", ".join(f"{name} {best[name]:.2f}" for name in best)
            + f" s; serial {serial:.2f} s, parent's CPU beside the workers {beside:.2f} s, "
              f"workers' CPU {workers:.1f} s; two free cores: {two_cores:.2f}x "
              f"({cores_free:.2f}x with the parent on a third)")
    return text, two_cores, cores_free


def best_of(command, repeats=5) -> float:
    return min(timed(command, ROOT)[0] for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--keep", metavar="DIR", help="write the corpus here and keep it")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of runs (best kept)")
    parser.add_argument("--phases", nargs=2, metavar=("JOBS", "CORPUS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases:
        return phases(int(args.phases[0]), args.phases[1])
    backprop = (ROOT / "verify" / "checks" / "backprop.py").exists()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="verify-scale-"))
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    write_corpus(corpus, args.cases, backprop)
    kinds = "derivative, gradient" + (", backprop" if backprop else "")
    print(f"corpus: {args.cases} cases ({kinds}) in {FILES} files, {os.cpu_count()} cores")
    python = sys.executable
    # bytecode compiled, as an installed package has it (an editable install
    # under PYTHONDONTWRITEBYTECODE would compile every module at every start)
    compileall.compile_dir(ROOT / "verify", quiet=1)
    runs = [
        ("verify --jobs 1", [python, "-m", "verify", str(corpus), "--jobs", "1", "-q",
                             "--out", str(folder / "out1")]),
        ("verify --jobs 2", [python, "-m", "verify", str(corpus), "--jobs", "2", "-q",
                             "--out", str(folder / "out2")]),
        ("pytest -n 2", [python, "-m", "pytest", str(corpus), "-n", "2", "-q", "-p",
                         "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark"]),
    ]
    before = ceiling()
    times = {}
    print(f"{'run':<18} {'wall s':>8} {'cpu s':>8} {'cores':>6} {'load':>5}  outcome")
    for _ in range(args.repeat):  # rounds interleave the runs; the best of each is kept
        for label, command in runs:
            load = os.getloadavg()[0]  # other work on the machine competes for the cores
            wall, cpu, outcome = timed(command, folder)
            times[label] = min(wall, times.get(label, wall))
            print(f"{label:<18} {wall:>8.1f} {cpu:>8.1f} {cpu / wall:>6.2f} {load:>5.1f}  "
                  f"{outcome}", flush=True)
    after = ceiling()
    one, two = ((folder / out / "results.csv").read_text().splitlines() for out in ("out1", "out2"))
    same = one == two
    if not same:
        first = next((i for i, (a, b) in enumerate(zip(one, two)) if a != b),
                     min(len(one), len(two)))
        print(f"results.csv differ from line {first + 1}:\n  jobs 1: {one[first:first + 1]}\n"
              f"  jobs 2: {two[first:first + 1]}")
    print(f"best of {args.repeat}: --jobs 1 {times['verify --jobs 1']:.1f} s, --jobs 2 "
          f"{times['verify --jobs 2']:.1f} s, pytest -n 2 {times['pytest -n 2']:.1f} s")
    speedup = times['verify --jobs 1'] / times['verify --jobs 2']
    print(f"{'speed-up, 2 jobs':<18} {speedup:>8.2f}  (measured here, beside the machine's other "
          f"work: see the ceiling; target >= {TARGET_SPEEDUP} on 2 free cores: "
          f"{'PASS' if speedup >= TARGET_SPEEDUP else 'MISS'}); results.csv identical: {same}")
    print(f"{'ceiling now':<18} {min(before, after):>8.2f}  (two CPU-bound processes, before "
          f"{before:.2f} and after {after:.2f}: what 2 jobs can reach beside the other work)")
    print(f"{'pytest -n 2 / cli':<18} {times['pytest -n 2'] / times['verify --jobs 2']:>8.2f}  "
          "(time of pytest -n 2 over verify --jobs 2)")
    amdahl = {}
    for jobs in (1, 2):
        runs = []
        for _ in range(max(3, args.repeat)):
            done = subprocess.run([python, __file__, "--phases", str(jobs), str(corpus)],
                                  capture_output=True, text=True, cwd=folder)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        text, *amdahl[jobs] = phase_figures(runs)
        print(f"{'phases, ' + str(jobs) + ' job' + 's' * (jobs > 1):<18} {text}")
    two_cores, cores_free = amdahl[1]  # the one-job run: the work itself, uncontended
    print(f"{'two free cores':<18} {cores_free:>8.2f}  (Amdahl on one job's phases: the serial "
          f"part, and the workers on two free cores; target >= {TARGET_SPEEDUP}: "
          f"{'PASS' if cores_free >= TARGET_SPEEDUP else 'MISS'}. On a machine of exactly two "
          f"cores, where the parent's work beside the workers takes their time too: "
          f"{two_cores:.2f}x)")
    help_time = best_of([python, "-m", "verify", "--help"])
    bare = best_of([python, "-c", "pass"])
    print(f"{'--help':<18} {help_time:>8.3f}  (target <= 0.2 s; best of 5; "
          f"python -c pass: {bare:.3f} s, so verify adds {help_time - bare:.3f} s)")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
