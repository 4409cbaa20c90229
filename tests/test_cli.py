"""The command line at scale: --jobs, -k, --fail-fast, --timeout, --quiet,
--version, --help, the progress bar, and ``verify new``."""
import csv
import os
import subprocess
import sys
import textwrap

import pytest

import verify
from verify.cli import main

CORPUS = textwrap.dedent("""\
    cases:
      - {name: chain, function: sin(x**2), at: {x: 1.5}, checks: [derivative]}
      - {name: wrong, function: x*y, at: {x: 1, y: 2}, checks: [gradient],
         expect: {gradient: {x: 3, y: 1}}}
      - {name: logistic, function: log(1 + exp(-w*x)), parameters: {x: 2},
         points: [{w: 0.3}, {w: -1.7}], checks: [derivative]}
      - {name: pair, function: x*exp(-y**2), at: {x: 0.7, y: 1.3}, checks: [gradient]}
      - {name: single32, function: tanh(x)**2, at: {x: 0.4}, checks: [derivative], dtype: float32}
      - {name: kink, function: abs(x - 1), at: {x: 1}, checks: [derivative]}
    """)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text(CORPUS)
    return path


def cases_in(out):
    with open(out / "summary.csv") as stream:
        return [row["case"] for row in csv.DictReader(stream)]


def test_two_jobs_write_the_bytes_one_job_writes(corpus, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([str(corpus), "--out", str(one), "--jobs", "1", "--quiet"]) == 2  # kink: error
    assert main([str(corpus), "--out", str(two), "--jobs", "2", "--quiet"]) == 2
    for name in ("results.csv", "summary.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    assert cases_in(one) == ["chain", "wrong", "logistic", "pair", "single32", "kink"]


def test_a_page_put_together_from_the_workers_parts_is_the_page_drawn_here(corpus, tmp_path):
    """Workers print each case's table and formula (and draw its figures);
    the parent only joins them: the page is the one a run in this process
    writes, byte for byte, failing and erroring cases included."""
    here, workers = tmp_path / "here", tmp_path / "workers"
    assert main([str(corpus), "--out", str(here), "--timeout", "0", "--jobs", "1", "-q"]) == 2
    assert main([str(corpus), "--out", str(workers), "--jobs", "2", "-q"]) == 2
    page = (workers / "report.html").read_text()
    assert page == (here / "report.html").read_text()
    assert page.count("<math") == 6  # every case's formula, printed by its worker


@pytest.mark.parametrize("chosen, seen", [(None, "1"), ("3", "3")])
def test_a_run_keeps_blas_to_one_thread_unless_the_caller_chose(corpus, tmp_path, monkeypatch,
                                                                 chosen, seen):
    import os
    import verify.runner
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    if chosen:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", chosen)
    during = []
    real = verify.runner.load
    monkeypatch.setattr(verify.runner, "load", lambda *a, **k: (
        during.append(os.environ.get("OPENBLAS_NUM_THREADS")), real(*a, **k))[1])
    assert main([str(corpus), "--out", str(tmp_path), "-k", "::chain", "-q"]) == 0
    assert during == [seen]  # while the run imports NumPy and forks its workers
    assert os.environ.get("OPENBLAS_NUM_THREADS") == chosen  # put back as it was


def test_a_run_freezes_what_it_imported_and_puts_it_back(corpus, tmp_path, monkeypatch):
    import gc
    import verify.runner
    before, during = gc.get_freeze_count(), []
    real = verify.runner.load
    monkeypatch.setattr(verify.runner, "load", lambda *a, **k: (
        during.append(gc.get_freeze_count()), real(*a, **k))[1])
    assert main([str(corpus), "--out", str(tmp_path), "-k", "::chain", "-q"]) == 0
    assert during[0] > before + 50_000  # SymPy's objects, out of the collector's way
    assert gc.get_freeze_count() == before


def test_with_workers_the_parent_prints_no_formula_and_pickles_no_case(corpus, tmp_path,
                                                                       monkeypatch):
    """The parent's work is a run's serial part: a selection (-k) run in
    workers leaves every formula to them and sends each case on as the
    bytes its loading worker made. The forked workers log with their own pid."""
    from verify import workers
    from verify.input.cases import Case
    from verify.report import writer
    log = tmp_path / "log"
    real_formula, real_dumps = writer.formula_of, workers.dumps

    def formula_of(case):
        with open(log, "a") as stream:
            stream.write(f"formula {os.getpid()}\n")
        return real_formula(case)

    def dumps(obj):
        if isinstance(obj, tuple) and any(isinstance(part, Case) for part in obj):
            with open(log, "a") as stream:
                stream.write(f"case {os.getpid()}\n")
        return real_dumps(obj)
    monkeypatch.setattr(writer, "formula_of", formula_of)
    monkeypatch.setattr(workers, "dumps", dumps)
    assert main([str(corpus), "--out", str(tmp_path / "out"), "-k", "n", "--jobs", "2",
                 "-q"]) == 2
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [kind for kind, _ in lines].count("formula") == 4  # chain, wrong, single32, kink
    assert all(int(pid) != os.getpid() for _, pid in lines)
    assert (tmp_path / "out" / "report.html").read_text().count("<math") == 4


def test_jobs_caps_the_processes_that_read_the_files_too(corpus, tmp_path, monkeypatch):
    import verify.runner
    asked = []
    real = verify.runner.entries_in_workers

    def counting(jobs, options, *, workers, meanwhile=None):
        asked.append(workers)
        return real(jobs, options, workers=workers, meanwhile=meanwhile)
    monkeypatch.setattr(verify.runner, "entries_in_workers", counting)
    (tmp_path / "second.yaml").write_text(CORPUS)  # beside the corpus: two files to read
    assert main([str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "1", "-q"]) == 2
    assert asked == [1]


def test_k_selects_cases_by_id_and_quiet_prints_only_the_total(corpus, tmp_path, capsys):
    assert main([str(corpus), "--out", str(tmp_path), "-k", "::l", "--timeout", "0", "-q"]) == 0
    assert cases_in(tmp_path) == ["logistic"]
    assert capsys.readouterr().out.splitlines() == [
        f"1 case, 12 comparisons: 12 passed, 0 failed, 0 errors, 0 inconclusive, 0 skipped; reports in "
        f"{tmp_path}/ (exit 0)"]


def test_fail_fast_stops_after_the_first_failing_case(corpus, tmp_path, capsys):
    assert main([str(corpus), "--out", str(tmp_path), "--fail-fast", "--jobs", "2"]) == 1
    assert cases_in(tmp_path) == ["chain", "wrong"]
    out = capsys.readouterr().out
    assert "FAIL  lab::wrong" in out and "lab::pair" not in out


def test_timeout_stops_a_slow_case_and_the_others_go_on(tmp_path):
    (tmp_path / "slow.py").write_text("import time\n\n\ndef f(x):\n    time.sleep(60)\n"
                                      "    return x\n")
    (tmp_path / "lab.yaml").write_text(
        "cases:\n  - {name: slow, function: x, at: {x: 1}, checks: [],"
        " implementation: {value: 'slow:f'}}\n"
        "  - {name: quick, function: x**2, at: {x: 1}, checks: [derivative]}\n")
    out = tmp_path / "out"
    assert main([str(tmp_path / "lab.yaml"), "--out", str(out), "--timeout", "1",
                 "--allow-import", "--jobs", "1", "-q"]) == 2
    with open(out / "results.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert rows[0]["status"] == "error"
    assert rows[0]["message"] == ("time limit: the case ran longer than 1 s and was stopped "
                                  "(--timeout)")
    assert {r["status"] for r in rows[1:]} == {"pass"} and len(rows) == 7


def test_new_writes_a_template_that_loads_and_passes(tmp_path, capsys):
    target = tmp_path / "mine"
    assert main(["new", str(target)]) == 0
    written = tmp_path / "mine.yaml"
    assert f"wrote {written}" in capsys.readouterr().out
    text = written.read_text()
    assert text.startswith("# mine.yaml: case file for verify")
    assert main([str(written), "--out", str(tmp_path / "out"), "--timeout", "0"]) == 0
    assert cases_in(tmp_path / "out") == ["chain_rule", "two_variables", "logistic_loss"]
    assert main(["new", str(target)]) == 2  # never overwrites
    assert "exists; not overwriting it" in capsys.readouterr().err
    assert written.read_text() == text


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True,
                          text=True, env=env)


def test_version_and_help():
    done = run_cli("--version")
    assert done.stdout.strip() == f"verify {verify.__version__}"
    done = run_cli("--help")
    assert done.returncode == 0
    assert "example:" in done.stdout and "python -m verify new my_cases" in done.stdout
    assert "verify new NAME" in done.stdout.split("\n\n")[0]  # in the usage lines
    for option in ("--jobs", "--timeout", "--fail-fast", "--quiet", "-k", "--allow-import"):
        assert option in done.stdout


def bar_drawn(corpus, tmp_path, **env_changes):
    """Run the CLI on a pseudo-terminal; whether a tqdm bar was drawn."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(env_changes)
    process = subprocess.Popen([sys.executable, "-m", "verify", str(corpus), "-k", "chain",
                                "--out", str(tmp_path), "--timeout", "0"],
                               stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait()
    os.close(primary)
    text = output.decode(errors="replace")
    assert "PASS  lab::chain" in text
    return "1/1 [" in text


def test_progress_bar_on_a_terminal_only_and_not_under_ci(corpus, tmp_path):
    assert bar_drawn(corpus, tmp_path)
    assert not bar_drawn(corpus, tmp_path, CI="true")  # (and the other tests run piped)


def test_no_case_found_or_selected_exits_5(corpus, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty), "--out", str(tmp_path / "r1"), "--timeout", "0"]) == 5
    assert "no cases found" in capsys.readouterr().err
    assert main([str(corpus), "--out", str(tmp_path / "r2"), "-k", "nothing-has-this",
                 "--timeout", "0"]) == 5
    assert "no cases found matching -k 'nothing-has-this'" in capsys.readouterr().err


EMPTY_CASES = textwrap.dedent("""\
    cases:
      - {name: no_checks, function: x**2, at: {x: 1}, checks: []}
      - {name: no_methods, function: x**2, at: {x: 1}, checks: {derivative: {methods: []}}}
      - {name: constant, function: "5", at: {}}
      - {name: skipped_only, function: abs(x), at: {x: 0.5},
         checks: {derivative: {methods: [complex_step]}}}
    """)


def test_cases_without_comparisons_appear_with_a_row_saying_why(tmp_path, capsys):
    path = tmp_path / "empty.yaml"
    path.write_text(EMPTY_CASES)
    assert main([str(path), "--out", str(tmp_path / "r"), "--timeout", "0"]) == 0
    out = capsys.readouterr().out
    with open(tmp_path / "r" / "summary.csv") as stream:
        summary = {row["case"]: row for row in csv.DictReader(stream)}
    with open(tmp_path / "r" / "results.csv") as stream:
        results = list(csv.DictReader(stream))
    # every case is accounted for, as skip (never as pass), in every place
    assert set(summary) == {"no_checks", "no_methods", "constant", "skipped_only"}
    assert {row["status"] for row in summary.values()} == {"skip"}
    assert all(f"SKIP  empty::{name}" in out for name in summary)
    assert "PASS" not in out
    messages = {row["case"]: row["message"] for row in results}
    assert "empty" in messages["no_methods"] and "no comparison" in messages["no_checks"]
    assert "no variable" in messages["constant"]
    assert list(summary["no_checks"])[6] == "inconclusive"  # the v1.1 summary columns


def test_a_folder_named_verify_in_the_current_folder_is_named_not_a_traceback(tmp_path):
    (tmp_path / "verify" / "cases").mkdir(parents=True)  # e.g. the parent of a clone
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-m", "verify", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=60)
    assert "Traceback" not in done.stderr
    if done.returncode:  # an editable install: the folder shadows the package
        assert f"{tmp_path / 'verify'} is named 'verify' and hides the installed" in done.stderr
    else:  # an ordinary install: the regular package wins over a plain folder
        assert done.stdout.strip() == f"verify {verify.__version__}"


def test_console_lines_escape_control_characters(tmp_path, capsys):
    from verify.cli import printable
    assert printable("a\x1b[2K\rPASS\tb\nc\x7f\x85é") == "a\\x1b[2K\\rPASS\\tb\\nc\\x7f\\x85é"
    name = tmp_path / "\x1b[2K\rPASS.yaml"
    name.write_text("name: x\nfunction: [\n")
    assert main([str(name), "--out", str(tmp_path / "out"), "--timeout", "0"]) == 2
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out and "\\x1b[2K\\rPASS.yaml" in out


def test_the_command_line_defaults_are_the_run_options_defaults():
    from verify.cli import build_parser
    from verify.core.run_options import RunOptions
    args = build_parser().parse_args(["cases/"])
    assert (args.timeout, args.memory_mb) == (RunOptions().timeout, RunOptions().memory_mb)


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path):
    from pathlib import Path
    cases = "cases:\n" + "".join(f"  - {{name: c{k}, function: x**2, at: {{x: 1}}, "
                                  "checks: [derivative]}\n" for k in range(3))
    (tmp_path / "many.yaml").write_text(cases)
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "verify", str(tmp_path / "many.yaml"), "--jobs", "1",
         "--out", str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(root)), cwd=tmp_path)
    process.stdout.close()  # as `| head -0` does
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
