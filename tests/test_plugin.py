"""The pytest plugin, run inside pytest with ``pytester`` (it loads through the
``pytest11`` entry point, so the package must be installed: ``pip install -e .``)."""
import pytest

# pytester's in-process runs drop the modules they imported; NumPy's C core cannot
# be imported twice in a process, so the runner's modules are loaded here, once.
# The CLI's lazy imports too (building imports cases when a file is read): a
# module first imported inside such a run would be dropped after it, and a later
# run in this process would mix its old and new classes (Case would not pickle).
import verify.checks.derivatives  # noqa: F401
import verify.checks.implementation  # noqa: F401
import verify.cli  # noqa: F401
import verify.input.cases  # noqa: F401
import verify.runner  # noqa: F401

pytest_plugins = ["pytester"]

LAB = """\
defaults:
  checks: [derivative]
cases:
  - name: chain
    function: sin(x**2)
    at: {x: 1.5}
  - name: wrong_expectation
    function: x*y + exp(y)
    at: {x: 1, y: 0.5}
    checks: [gradient]
    expect:
      gradient: {x: 0.6, y: 0.5}
  - name: square
    function: x**2
    at: {x: 3}
"""

SINGLE = """\
name: alone
function: exp(-x)
at: {x: 0.5}
checks: [derivative]
"""

NOT_CASES = {
    "environment.yml": "name: myenv\nchannels: [conda-forge]\ndependencies: [numpy]\n",
    "workflow.yaml": "name: CI\non: [push]\njobs: {test: {runs-on: ubuntu-latest}}\n",
    "list.yaml": "- name: a\n  function: x\n",
    "template.yaml": "key: {{ value }}\n  : broken\n",
    "two_docs.yaml": "name: a\nfunction: x\n---\nname: b\n",
    "cases_not_a_list.yaml": "cases: 3\n",
}


@pytest.fixture
def pytester(pytester):
    # other installed plugins (hypothesis imports itself at the summary) cost seconds a run
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest -p no:benchmark\n")
    return pytester


@pytest.fixture
def lab(pytester):
    pytester.makefile(".yaml", lab=LAB)
    return pytester


def test_each_case_is_an_item_named_file_case(lab):
    lab.makefile(".yml", single=SINGLE)
    result = lab.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["lab.yaml::chain", "lab.yaml::wrong_expectation",
                                 "lab.yaml::square", "single.yml::alone", "*4 tests collected*"])


def test_other_yaml_is_never_collected(pytester):
    for name, text in NOT_CASES.items():
        (pytester.path / name).write_text(text)
    pytester.makefile(".yaml", lab=LAB)
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*3 tests collected*"])
    assert "error" not in result.stdout.str().lower()


def test_items_report_the_case_line(lab):
    items, _ = lab.inline_genitems()
    assert [(item.name, item.location[1] + 1) for item in items] == [
        ("chain", 4), ("wrong_expectation", 7), ("square", 13)]
    assert items[0].reportinfo()[2] == "case chain"


def test_pass_and_fail_with_the_table_of_failed_rows(lab):
    result = lab.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*case 'wrong_expectation' (lab.yaml:7): 2 of 14 comparisons failed or could not run",
        "status*check*quantity*point*method*exact*numeric*error*bound",
        "fail*expect*expect:grad[[]x]*x=1, y=0.5*exact*0.5*0.6*0.1*0.05",
        "fail*expect*expect:grad[[]y]*x=1, y=0.5*exact*2.648721270700128*0.5*",
        "*expected 0.6 but the exact value is 0.5 (differs by 0.1; the written digits allow 0.05)",
        "*expected 0.5 but the exact value is 2.6487212707001281*",
        "FAILED lab.yaml::wrong_expectation*",
    ])


def test_k_x_and_last_failed(lab):
    result = lab.runpytest("-k", "chain or square")
    result.assert_outcomes(passed=2, deselected=1)
    result = lab.runpytest("-x", "-k", "wrong or square")
    result.assert_outcomes(failed=1)  # -x: stopped before 'square'
    result = lab.runpytest("--lf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure*"])


def test_a_case_that_cannot_be_read_is_a_failing_item_with_the_message(pytester):
    pytester.makefile(".yaml", bad="cases:\n  - name: typo\n    fucntion: x**2\n    at: {x: 1}\n"
                                   "  - name: fine\n    function: x**2\n    at: {x: 1}\n"
                                   "    checks: [derivative]\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*could not load: bad.yaml:3: case 'typo': key 'fucntion': "
                                 "unknown key (did you mean 'function'?)*"])


def test_a_single_case_file_with_a_misspelt_function_is_still_collected(pytester):
    pytester.makefile(".yaml", single="name: typo\nfucntion: x**2\nat: {x: 1}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*key 'fucntion': unknown key (did you mean 'function'?)*"])


def test_implementation_needs_the_allow_import_option(pytester):
    pytester.makepyfile(mine="def f(x):\n    return x * x\n\ndef g(x):\n    return [2 * x]\n")
    pytester.makefile(".yaml", impl="name: own\nfunction: x**2\nat: {x: 1.5}\nchecks: []\n"
                                    "implementation: {value: 'mine:f', gradient: 'mine:g'}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*needs --allow-import (pytest: --verify-allow-import)*"])
    result = pytester.runpytest("--verify-allow-import")
    result.assert_outcomes(passed=1)


def test_xdist_distributes_the_cases(lab):
    pytest.importorskip("xdist")
    result = lab.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)


def test_pytest_and_the_cli_agree_case_by_case(lab, tmp_path):
    from verify.cli import main
    import csv
    main([str(lab.path / "lab.yaml"), "--out", str(tmp_path), "--timeout", "0", "--quiet"])
    with open(tmp_path / "summary.csv") as stream:
        cli = {row["case"]: row["status"] for row in csv.DictReader(stream)}
    passed, skipped, failed = lab.inline_run().listoutcomes()
    plugin = {r.nodeid.split("::")[1]: "pass" for r in passed}
    plugin.update({r.nodeid.split("::")[1]: "fail" for r in failed})
    assert plugin == cli == {"chain": "pass", "wrong_expectation": "fail", "square": "pass"}


def test_a_case_with_nothing_passed_is_a_skip_with_the_reason(pytester):
    pytester.makefile(".yaml", only=(
        "cases:\n"
        "  - {name: no_checks, function: x**2, at: {x: 1}, checks: []}\n"
        "  - {name: skipped, function: abs(x), at: {x: 0.5},\n"
        "     checks: {derivative: {methods: [complex_step]}}}\n"))
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*skip: no comparison: the case lists no check*",
                                 "*skip: complex step needs an analytic function*"])


def test_collection_never_waits_on_a_fifo_or_reads_past_the_size_limit(tmp_path, monkeypatch):
    import os
    import threading

    from verify import plugin
    from verify.input import loading
    os.mkfifo(tmp_path / "pipe.yaml")
    answers = []
    probe = threading.Thread(target=lambda: answers.append(plugin.is_case_file(tmp_path / "pipe.yaml")),
                             daemon=True)
    probe.start()
    probe.join(10)
    assert answers == [False]
    big = tmp_path / "big.yaml"
    big.write_text("cases:\n" + "  - {name: c, function: x, at: {x: 1}}\n" * 10)
    assert plugin.is_case_file(big)
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 100)
    assert not plugin.is_case_file(big)
