"""The hostile corpus (tests/hostile/): one CLI run over every broken and
hostile case file, plus the limits behind it (time, memory, expression
size) and the rule that NaN and infinity never pass.

The corpus run happens once per module, on a copy of the corpus, with its
own working folder and TMPDIR, so we can list every place the run could
write to before and after it.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "hostile" / "corpus"
EXPECTED = yaml.safe_load((ROOT / "tests" / "hostile" / "EXPECTED.yaml").read_text())
TIMEOUT = 3
REPORT_FILES = {"results.csv", "summary.csv", "report.html", "manifest.json"}


def whole_set(out: Path) -> bool:
    """True when every file the manifest lists is there with its digest."""
    import hashlib
    manifest = json.loads((out / "manifest.json").read_text())
    return set(manifest["sha256"]) == set(manifest["files"]) and all(
        hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
        for name, digest in manifest["sha256"].items())


def listing(folder: Path) -> dict:
    """Every file and folder under ``folder`` with its size and mtime."""
    found = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        found[str(path.relative_to(folder))] = (path.is_dir(), stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    corpus, cwd, tmp, out = base / "corpus", base / "cwd", base / "tmp", base / "out"
    shutil.copytree(CORPUS, corpus)
    cwd.mkdir()
    tmp.mkdir()
    watched = {"corpus": corpus, "cwd": cwd, "tmp": tmp, "original corpus": CORPUS}
    before = {name: listing(folder) for name, folder in watched.items()}
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp))
    env.pop("CI", None)
    done = subprocess.run(
        [sys.executable, "-m", "verify", str(corpus), "--out", str(out),
         "--timeout", str(TIMEOUT), "--jobs", "2"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    after = {name: listing(folder) for name, folder in watched.items()}
    with open(out / "results.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        row["relative"] = str(Path(row["file"]).relative_to(corpus)) if row["file"] else ""
    return dict(done=done, rows=rows, before=before, after=after, base=base, corpus=corpus,
                cwd=cwd, tmp=tmp, out=out)


def test_the_corpus_is_large_and_every_file_is_listed():
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.y*ml")}
    bad = set(EXPECTED["files"])
    good_files = {case_id.split("::")[0] + ".yaml"
                  for case_id in EXPECTED["good"] + EXPECTED["pass_or_stopped"]
                  + EXPECTED["stopped_or_skipped"]}
    assert len(bad) >= 25
    assert files == bad | good_files, "EXPECTED.yaml and corpus/ are out of step"


def test_the_run_exits_2_and_says_so(corpus_run):
    done = corpus_run["done"]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "(exit 2)" in done.stdout


def test_each_bad_file_gives_exactly_its_error_rows(corpus_run):
    errors = [r for r in corpus_run["rows"] if r["status"] == "error"]
    for name, wanted in EXPECTED["files"].items():
        got = [r for r in errors if r["relative"] == name]
        assert Counter(r["case"] for r in got) == Counter(w["case"] for w in wanted), name
        for entry in wanted:
            messages = [r["message"] for r in got if r["case"] == entry["case"]]
            alternatives = entry["message"] if isinstance(entry["message"], list) \
                else [entry["message"]]
            assert any(a in m for a in alternatives for m in messages), (name, entry, messages)
    listed = set(EXPECTED["files"])
    loose = {f"{case_id.split('::')[0]}.yaml"
             for case_id in EXPECTED["pass_or_stopped"] + EXPECTED["stopped_or_skipped"]}
    strays = [r for r in errors if r["relative"] not in listed
              and not (r["relative"] in loose and f"longer than {TIMEOUT} s" in r["message"])]
    assert strays == []


def test_the_good_cases_still_pass(corpus_run):
    rows = corpus_run["rows"]
    for case_id in EXPECTED["good"]:
        own = [r for r in rows if r["case_id"] == case_id]
        assert own, case_id
        assert {r["status"] for r in own} <= {"pass", "skip"}, (case_id, own)
        assert any(r["status"] == "pass" for r in own)


def _rows_of(rows, case_id):
    """A case's rows: by id, or (a load row's id is file::case) by file and name."""
    group, name = case_id.split("::")
    return [r for r in rows if r["case_id"] == case_id
            or (r["relative"] == f"{group}.yaml" and r["case"] == name)]


def _stopped(own) -> bool:
    """Stopped while running, or (issue 11) already while building under the same limit."""
    return [r["check"] for r in own] in (["run"], ["load"]) \
        and f"longer than {TIMEOUT} s" in own[0]["message"]


def test_cases_that_balls_made_fast_pass_or_are_stopped(corpus_run):
    for case_id in EXPECTED["pass_or_stopped"]:
        own = _rows_of(corpus_run["rows"], case_id)
        assert _stopped(own) or (own and {r["status"] for r in own} == {"pass"}), (case_id, own)


def test_values_beyond_float64_are_skipped_with_the_reason_or_stopped(corpus_run):
    for case_id in EXPECTED["stopped_or_skipped"]:
        own = _rows_of(corpus_run["rows"], case_id)
        skipped = own and all(r["status"] == "skip" and "beyond float64" in r["message"]
                              for r in own)
        assert _stopped(own) or skipped, (case_id, own)


def test_cases_past_the_time_limit_were_stopped_and_the_run_went_on(corpus_run):
    for case_id in EXPECTED["time_limited"]:
        assert _stopped(_rows_of(corpus_run["rows"], case_id)), case_id


def test_nothing_ran_and_nothing_was_written_outside_out(corpus_run):
    canary = EXPECTED["canary"]
    for name, before in corpus_run["before"].items():
        assert corpus_run["after"][name] == before, f"the run changed {name}"
    hits = [p for folder in (corpus_run["base"], CORPUS, Path.cwd())
            for p in folder.rglob(canary)]
    assert hits == []
    assert "hostile_canary_module" not in sys.modules
    written = {str(p.relative_to(corpus_run["out"])) for p in corpus_run["out"].rglob("*")
               if p.is_file()}
    assert REPORT_FILES <= written
    assert all(name.endswith((".csv", ".html", ".json", ".svg")) for name in written)
    assert not [name for name in written if name.startswith(".") or "/." in name]  # no temp left


def test_the_report_set_is_whole(corpus_run):
    out = corpus_run["out"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interrupted"] is False
    assert set(manifest["files"]) | {"manifest.json"} >= REPORT_FILES
    assert all((out / name).is_file() for name in manifest["files"])
    assert whole_set(out)
    assert (out / "report.html").read_text().rstrip().endswith("</html>")


# --- the limits, one at a time, in this process ---------------------------------

def _case(tmp_path, text):
    from tests.conftest import load_one
    Path(tmp_path).mkdir(parents=True, exist_ok=True)
    cases, errors = load_one(tmp_path, text)
    assert errors == (), errors
    return cases[0]


# a sixth derivative whose SymPy form passes a size limit of 1,000 operations
GROWS = """
    name: grows
    function: exp(sin(cos(x**2 + tanh(x))))
    at: {x: 0.7}
    checks: {derivative: {order: 6, methods: [central, richardson]}}
"""


def test_a_derivative_past_the_size_limit_is_an_error_row_naming_it(tmp_path, monkeypatch):
    from verify.exact import symbolic as exact
    from verify.core.run_options import RunOptions
    from verify.checks.case import run_case
    monkeypatch.setattr(exact, "MAX_OPERATIONS", 1000)
    # where balls give the value the derivative is never formed (next test); the
    # limit guards the SymPy route, which the mpmath side takes without them
    monkeypatch.setattr(exact.ExactFunction, "_ball_value", lambda *args: None)
    case = _case(tmp_path, GROWS)
    rows = run_case(case, RunOptions(timeout=0)).results
    # one error row per method (the limit is met where each row needs its value)
    assert [(r.status, r.method) for r in rows] == [("error", "central"), ("error", "richardson")]
    # d^4f/dx^4 has 1347 operations, the first past 1000
    assert {r.message for r in rows} == {"the derivative d^4f/dx^4 has more than 1000 operations "
                                         "(the limit on expression size); it is not computed"}


def test_balls_give_a_high_derivative_past_the_size_limit_without_forming_it(tmp_path,
                                                                            monkeypatch):
    import mpmath
    from verify.exact import symbolic as exact
    from verify.core.run_options import RunOptions
    from verify.checks.case import run_case
    monkeypatch.setattr(exact, "MAX_OPERATIONS", 1000)
    case = _case(tmp_path, GROWS)
    rows = run_case(case, RunOptions(timeout=0)).results
    assert [r.status for r in rows] != ["error"]
    assert all(r.status in ("pass", "inconclusive", "skip") for r in rows)
    cached = exact.exact_function(case)  # a fresh engine: the cached one may have refused orders
    engine = exact.ExactFunction(cached.expression, cached.variables, cached.data)
    monkeypatch.setattr(exact, "MAX_OPERATIONS", 10 ** 6)
    with mpmath.workdps(40):  # the ball value is SymPy's derivative to 36 digits
        by_sympy = engine.compiled((6,)).mp(mpmath.mpf("0.7"))
        assert abs(engine.value((6,), [mpmath.mpf("0.7")]) - by_sympy) <= abs(by_sympy) * 1e-34


def test_a_refused_derivative_is_not_computed_again(monkeypatch):
    import sympy
    from verify.exact import symbolic as exact
    from verify.input.expressions import symbol
    monkeypatch.setattr(exact, "MAX_OPERATIONS", 100)
    engine = exact.ExactFunction(sympy.exp(sympy.sin(symbol("x") ** 2)), ("x",))
    calls = []
    real_diff = sympy.diff
    monkeypatch.setattr(exact.sympy, "diff", lambda *a: calls.append(a) or real_diff(*a))
    for _ in range(3):
        with pytest.raises(exact.DerivativeTooLarge, match="more than 100 operations"):
            engine.derivative((8,))
    assert len(calls) == len(set(map(str, calls)))  # each order differentiated once


def test_operations_counts_a_shared_graph_without_walking_it():
    import sympy
    from verify.input.expressions import operations, symbol
    x = symbol("x")
    node = x
    for _ in range(60):  # written out: about 2**61 operations
        node = sympy.sin(node) * x + sympy.cos(node)
    assert operations(node) > 2 ** 60
    assert operations(node, limit=1000) <= 4 * 1000
    assert operations(sympy.sin(x) + 1) == 2


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and fork workers: Linux")
def test_the_memory_cap_stops_a_hungry_case_and_the_next_one_runs(monkeypatch, tmp_path):
    from verify import workers as runner  # the worker loop calls workers.run_case
    from verify.core.run_options import RunOptions
    from verify.workers import run_in_workers
    cases = [_case(tmp_path / "a", "{name: hungry, function: x, at: {x: 1}}"),
             _case(tmp_path / "b", "{name: modest, function: x, at: {x: 2}}")]
    cap = 300  # an allowance above the address space the worker starts with
    real = runner.run_case

    def greedy(case, options):
        if case.name == "hungry":
            block = bytearray(600 * 1024 * 1024)  # fine without the cap, over it with it
            block[-1] = 1
        return real(case, options)
    monkeypatch.setattr(runner, "run_case", greedy)  # the forked worker sees this
    runs = list(run_in_workers(cases, RunOptions(timeout=60, memory_mb=cap), jobs=1))
    first, second = runs
    assert [r.status for r in first.results] == ["error"]
    assert first.results[0].message == (f"memory limit: the case needed more than {cap} MB "
                                        "(--memory-mb)")
    assert second.case_id.endswith("::modest") and second.results


@pytest.mark.skipif(sys.platform != "linux", reason="fork workers: Linux")
def test_a_stuck_case_is_ended_by_its_worker_being_killed(monkeypatch, tmp_path):
    import time
    from verify import workers as runner  # the worker loop calls workers.run_case
    from verify.core.run_options import RunOptions
    from verify.workers import run_in_workers
    cases = [_case(tmp_path / name, f"{{name: {name}, function: x**2, at: {{x: 1}}, "
                                    "checks: {derivative: {methods: [central]}}}")
             for name in ("stuck", "dies", "fine")]
    real = runner.run_case

    def misbehave(case, options):
        if case.name == "stuck":
            while True:  # no Python-level check could stop this: only the kill does
                time.sleep(0.05)
        if case.name == "dies":
            os._exit(9)
        return real(case, options)
    monkeypatch.setattr(runner, "run_case", misbehave)
    runs = list(run_in_workers(cases, RunOptions(timeout=1.0), jobs=2))
    assert [r.case_id.split("::")[1] for r in runs] == ["stuck", "dies", "fine"]
    assert runs[0].results[0].message == ("time limit: the case ran longer than 1 s and was "
                                          "stopped (--timeout)")
    assert "the worker running this case died" in runs[1].results[0].message
    assert {r.status for r in runs[2].results} == {"pass"}


# --- NaN and infinity never pass ------------------------------------------------

def _bound(total):
    from verify.bounds.predicted import Bound
    return Bound(total, 0.0, 0.0, 0.0, "rigorous")


@pytest.mark.parametrize("numeric", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("tolerance", [None, "huge", "infinite"])
def test_a_non_finite_numeric_value_never_passes(numeric, tolerance):
    from verify.input.cases import Tolerance
    from verify.checks.compare import judge_numeric
    from verify.numeric.differences import Difference
    chosen = {None: None, "huge": Tolerance(rtol=1e300, atol=1e300),
              "infinite": Tolerance(atol=math.inf)}[tolerance]
    row = judge_numeric({"file": "f", "case": "c", "check": "derivative", "method": "central",
                         "quantity": "d/dx", "point": "x=1"}, exact=1.0,
                        difference=Difference(numeric, 1e-5, "central", 1),
                        bound=_bound(1e300), tolerance=chosen)
    assert row.status == "error"
    assert "NaN or infinity never passes" in row.message


@pytest.mark.parametrize("total", [math.nan, math.inf])
def test_a_non_finite_bound_or_tolerance_never_passes_a_finite_value(total):
    from verify.input.cases import Tolerance
    from verify.checks.compare import judge_numeric
    from verify.numeric.differences import Difference
    # CASES.md v1.1: a non-finite bound is inconclusive; a non-finite tolerance an error
    for bound, tolerance, status in ((_bound(total), None, "inconclusive"),
                                     (_bound(1.0), Tolerance(atol=total), "error")):
        row = judge_numeric({"file": "f", "case": "c", "check": "derivative", "method": "central",
                             "quantity": "d/dx", "point": "x=1"}, exact=1.0,
                            difference=Difference(1.0 + 1e-9, 1e-5, "central", 1),
                            bound=bound, tolerance=tolerance)
        assert row.status == status, row
        assert "no finite error bound here" in row.message


# --- issue 11: inputs made on the fly (tests/hostile/generated.py), all in one run -------

@pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, /dev/zero, sparse files: Linux")
def test_generated_inputs_in_one_run_beside_a_good_case(tmp_path):
    from tests.hostile.generated import INPUTS, PARENT_LIMIT_MB, make_all, run_verify
    cheap = [name for name, (_, is_cheap) in INPUTS.items() if is_cheap]
    made = make_all(tmp_path / "in", cheap)
    out = tmp_path / "out"
    # the formula file is given by its own name, so its 'file' cell starts with '='
    formula = made["formula_names"][0]
    paths = [folder for name, (folder, _) in made.items() if name != "formula_names"]
    paths += [tmp_path / "in" / "good", '=HYPERLINK("x";"y").yaml']
    _, status, stdout, stderr, peak = run_verify(ROOT, paths, out, TIMEOUT, formula)
    assert status == 2, stderr
    assert "Traceback" not in stderr
    assert peak < PARENT_LIMIT_MB, peak
    assert "\r" not in stdout and "\x1b" not in stdout  # control characters are escaped
    assert "\\x1b[2K\\rPASS fake.yaml" in stdout
    assert whole_set(out)
    with open(out / "results.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {r["status"] for r in rows} <= {"pass", "error"}  # a CR in a name split no row
    good = [r for r in rows if r["case"] == "good_neighbour"]
    assert good and {r["status"] for r in good} == {"pass"}
    for name, (folder, wanted) in made.items():
        got = [r for r in rows if r["status"] == "error" and (str(folder) in r["file"] or (
            name == "formula_names" and r["file"].startswith("'=")))]
        assert sorted(r["case"].lstrip("'") for r in got) == sorted(c for c, _ in wanted), name
        for case, alternatives in wanted:
            assert any(a in r["message"] for a in alternatives for r in got
                       if r["case"].lstrip("'") == case), (name, got)
    text = (out / "results.csv").read_text() + (out / "summary.csv").read_text()
    cells = [cell for name in ("results.csv", "summary.csv")
             for row in csv.reader(open(out / name, newline="")) for cell in row]
    assert "'=HYPERLINK(\"x\";\"y\").yaml" in cells and "'-cmd" in cells
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert all(re.fullmatch(r"[+-]?[0-9.]+(e[+-]?[0-9]+)?", c) for c in live), live
    passwd = Path("/etc/passwd").read_text().splitlines()
    page = (out / "report.html").read_text()
    for line in passwd[2:]:  # a message quotes a short excerpt, never the file
        assert line not in text and line not in page
