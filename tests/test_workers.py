"""Cases in worker processes: figures drawn where the case ran."""
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the workers see a monkeypatched run_case only when they are forked
FORK = pytest.mark.skipif(sys.platform != "linux", reason="fork workers: Linux")

PROBE = """
import sys
from verify.core.run_options import RunOptions
from verify.runner import load
from verify.workers import run_in_workers
loaded = load([sys.argv[1]])
runs = list(run_in_workers(loaded.cases, RunOptions(timeout=60), jobs=1))
(kind, title, data, fragment), = runs[0].figures
print(kind, fragment.startswith("<div class='plot'><svg"), runs[0].case is not None,
      "matplotlib" in sys.modules)
"""


def test_a_worker_sends_back_the_figure_drawn_and_the_parent_never_loads_matplotlib(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nfunction: exp(x)\nat: {x: 0.5}\nchecks: {taylor: {order: 3}}\n")
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.stdout.split() == ["taylor", "True", "True", "False"], done.stderr[-2000:]


def _cases(tmp_path, *names, description=""):
    from tests.conftest import load_one
    text = "cases:\n" + "".join(f"  - {{name: {n}, function: x**2, at: {{x: 1}}, checks: "
                                f"{{derivative: {{methods: [central]}}}}}}\n" for n in names)
    cases, errors = load_one(tmp_path, text)
    assert errors == ()
    if description:
        from dataclasses import replace
        cases = [replace(c, description=description) for c in cases]
    return cases


def _timed_run_case(monkeypatch, log, seconds):
    """run_case that logs when each case starts and ends (the forked worker sees it)."""
    import time
    from verify import workers
    real = workers.run_case

    def timed(case, options):
        start = time.monotonic()
        time.sleep(seconds)
        outcome = real(case, options)
        with open(log, "a") as stream:
            stream.write(f"{case.name} {start} {time.monotonic()}\n")
        return outcome
    monkeypatch.setattr(workers, "run_case", timed)  # the name the worker loop calls


def _log(log):
    return {name: (float(a), float(b)) for name, a, b in
            (line.split() for line in Path(log).read_text().splitlines())}


@FORK
def test_the_next_case_starts_without_waiting_for_the_parent(monkeypatch, tmp_path):
    import time
    from verify.core.run_options import RunOptions
    from verify.workers import run_in_workers
    log = tmp_path / "log"
    _timed_run_case(monkeypatch, log, 0.0)
    runs = run_in_workers(_cases(tmp_path, "a", "b"), RunOptions(timeout=60), jobs=1)
    first = next(runs)
    time.sleep(1.5)  # the parent is busy elsewhere (printing, a slow terminal)
    second = next(runs)
    assert [first.case_id[-1], second.case_id[-1]] == ["a", "b"]
    times = _log(log)
    assert times["b"][0] - times["a"][1] < 1.0  # b ran while the parent was away


@FORK
def test_a_case_sent_ahead_is_timed_from_its_start(monkeypatch, tmp_path):
    from verify.checks import case as runner
    from verify.core.run_options import RunOptions
    from verify.workers import run_in_workers
    cases = _cases(tmp_path, "a", "b")
    runner.run_case(cases[0], RunOptions())  # imports done before the fork: only the sleeps count
    _timed_run_case(monkeypatch, tmp_path / "log", 2.5)
    # b is sent with a, starts 2.5 s later and ends 5 s after it was sent: timed from
    # its sending it would be over the 4 s limit
    runs = list(run_in_workers(cases, RunOptions(timeout=4), jobs=1))
    assert [{r.status for r in run.results} for run in runs] == [{"pass"}] * 2


def test_large_cases_are_not_sent_ahead_so_pipes_never_deadlock(monkeypatch, tmp_path):
    from verify import workers
    from verify.core.run_options import RunOptions
    sent = []
    real = workers._Slot.give

    def give(self, index, case, timeout, shown=False, wire=None):
        accepted = real(self, index, case, timeout, shown, wire)
        sent.append((index, len(self.jobs), accepted))
        return accepted
    monkeypatch.setattr(workers._Slot, "give", give)
    big = "d" * (4 * workers.PREFETCH_BYTES)  # this case's pickle could fill the pipe
    runs = list(workers.run_in_workers(_cases(tmp_path, "a", "b", description=big),
                                       RunOptions(timeout=60), jobs=1))
    assert [len(r.results) > 0 for r in runs] == [True, True]
    assert (1, 2, True) not in sent and (1, 2, False) not in sent  # b never queued behind a
    assert (1, 1, True) in sent and (0, 1, True) in sent


def test_a_case_is_sent_on_as_its_loading_worker_pickled_it_and_only_that_case(tmp_path):
    """The parent sends a case's bytes from its loading worker instead of
    pickling the tree again, and only for the very case object they were
    read into: other bytes under its id (here b's) would run another case."""
    from verify.core.run_options import RunOptions
    from verify.runner import load
    from verify.workers import run_in_workers
    path = tmp_path / "two.yaml"
    path.write_text("cases:\n  - {name: a, function: x**2, at: {x: 1}}\n"
                    "  - {name: b, function: x**3, at: {x: 1}}\n")
    loaded = load([path], RunOptions(timeout=60), jobs=1)
    a, b = loaded.cases
    assert set(loaded.wire) == {a.id, b.id} and loaded.wire[a.id][0] is a
    assert pickle.loads(loaded.wire[a.id][1]) == a  # the bytes are the case itself

    def first_value(wire):
        run, = run_in_workers([a], RunOptions(timeout=60), jobs=1, wire=wire)
        return run.results[0].exact
    assert first_value(loaded.wire) == 2.0  # d/dx x**2 at 1
    assert first_value({a.id: (a, loaded.wire[b.id][1])}) == 3.0  # the bytes ran: b's
    assert first_value({a.id: (b, loaded.wire[b.id][1])}) == 2.0  # not a's bytes: pickled anew


@FORK
def test_a_case_that_cannot_be_sent_to_a_worker_is_an_error_row_and_the_others_run(
        tmp_path, monkeypatch):
    from verify import workers
    from verify.core.run_options import RunOptions
    real = workers.dumps

    def refusing(obj):
        if isinstance(obj, tuple) and getattr(obj[1], "name", None) == "b":
            raise pickle.PicklingError("cannot pickle this tree")
        return real(obj)
    monkeypatch.setattr(workers, "dumps", refusing)
    runs = list(workers.run_in_workers(_cases(tmp_path, "a", "b", "c"), RunOptions(timeout=60),
                                       jobs=1))
    assert [run.case_id[-1] for run in runs] == ["a", "b", "c"]
    (row,) = runs[1].results
    assert row.status == "error" and row.case == "b" and row.message == (
        "the case could not be sent to a worker: PicklingError: cannot pickle this tree "
        f"(at test_workers.py:{refusing.__code__.co_firstlineno + 2})")
    assert {r.status for r in runs[0].results + runs[2].results} == {"pass"}
    # with no other case in flight, there is no worker to wait for
    (alone,) = workers.run_in_workers(_cases(tmp_path, "b"), RunOptions(timeout=60), jobs=1)
    assert alone.results[0].message == row.message


CAPPED = """
import mmap, sys
from verify.workers import _limit_memory
held = mmap.mmap(-1, 1 << 30)  # a gigabyte of address space, as torch's import maps
_limit_memory(256)
small = bytearray(32 * 1024 * 1024)
try:
    huge = bytearray(1 << 30)
except MemoryError:
    print("small ok, huge refused")
else:
    print("huge allowed")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc: Linux")
def test_the_memory_cap_is_an_allowance_above_the_address_space_the_worker_starts_with():
    # the old absolute cap (256 MB of address space in all) refused even the small
    # allocation: the process already held more than that
    done = subprocess.run([sys.executable, "-c", CAPPED], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.stdout.split("\n")[0] == "small ok, huge refused", done.stderr[-2000:]


REBUILD = """
import pickle, sys, sympy
def refuse(*args):
    raise RuntimeError("evaluated again")
kept = sympy.sin.eval, sympy.exp.eval
sympy.sin.eval = sympy.exp.eval = classmethod(refuse)  # an evaluation on loading would raise
trees = pickle.loads(sys.stdin.buffer.read())
sympy.sin.eval, sympy.exp.eval = kept  # printing evaluates exp(1)
print("\\n".join(sympy.srepr(t) for t in trees))
"""


def test_sympy_trees_cross_the_pipe_unevaluated_and_node_for_node_the_same():
    from verify.input.expressions import parse
    from verify.workers import dumps
    trees = [parse(text) for text in (
        "exp(sin(x**2 + 1/3*x)) * sigmoid(2*x) - 3", "where(x > 1, log(1 + x**2), sin(x))",
        "Max(x, sin(x)) + abs(x - 2)**3 + erf(x)", "-x")]
    done = subprocess.run([sys.executable, "-c", REBUILD], input=dumps(trees),
                          capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-500:]
    import sympy
    assert done.stdout.decode().split("\n")[:len(trees)] == [sympy.srepr(t) for t in trees]
