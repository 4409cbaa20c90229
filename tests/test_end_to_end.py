"""The CLI end to end: shipped cases, and a folder with a passing, a failing and a broken case."""
import csv
from pathlib import Path

import pytest

from verify.cli import main

ROOT = Path(__file__).resolve().parents[1]
RESULT_COLUMNS = ["file", "case", "check", "method", "quantity", "point", "h", "exact", "numeric",
                  "abs_error", "rel_error", "tolerance", "status", "message"]
SUMMARY_COLUMNS = ["file", "case", "checks", "passed", "failed", "errors", "worst_rel_error"]


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_shipped_cases_pass_and_write_the_reports(shipped_run):
    out, run = shipped_run.out, shipped_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for name in ("results.csv", "summary.csv", "report.html", "curves.csv"):
        assert (out / name).stat().st_size > 0
    with open(out / "results.csv") as handle:
        header = next(csv.reader(handle))
    assert header[:len(RESULT_COLUMNS)] == RESULT_COLUMNS
    with open(out / "summary.csv") as handle:
        header = next(csv.reader(handle))
    assert all(column in header for column in SUMMARY_COLUMNS)
    rows = read_csv(out / "results.csv")
    # CASES.md v1.1: a vacuous comparison (a Taylor partial sum far from its centre) is inconclusive
    assert rows and all(r["status"] in ("pass", "inconclusive", "skip") for r in rows)
    assert all(r["message"] for r in rows if r["status"] != "pass")
    assert "cases," in run.stdout.splitlines()[-1]


PASSING = """\
name: good
function: x**3
at: {x: 2}
checks: {derivative: {methods: [central, central4]}}
expect: {derivative: 12}
"""
FAILING = """\
name: wrong_expectation
function: sin(x)
at: {x: 1}
checks: {derivative: {methods: [central]}}
expect: {derivative: 0.5404}
"""
BROKEN = """\
name: broken
function: sin(x
at: {x: 1}
"""


def test_pass_fail_and_broken_cases_give_the_exit_codes(tmp_path, capsys):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.yaml").write_text(PASSING)
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out), "--timeout", "0"]) == 0

    (folder / "wrong.yaml").write_text(FAILING)
    assert main([str(folder), "--out", str(out), "--timeout", "0"]) == 1
    rows = read_csv(out / "results.csv")
    failed = [r for r in rows if r["status"] == "fail"]
    assert len(failed) == 1 and failed[0]["quantity"] == "expect:derivative"
    assert failed[0]["message"].startswith("expected 0.5404 but the exact value is 0.54030230586813")

    (folder / "broken.yaml").write_text(BROKEN)
    assert main([str(folder), "--out", str(out), "--timeout", "0"]) == 2
    rows = read_csv(out / "results.csv")
    errors = [r for r in rows if r["status"] == "error"]
    assert len(errors) == 1 and "broken.yaml:2: case 'broken': key 'function'" in errors[0]["message"]
    # the other cases still ran and are reported
    assert {r["case"] for r in rows} == {"good", "wrong_expectation", "broken"}
    assert any(r["case"] == "good" and r["status"] == "pass" for r in rows)
    summary = {r["case"]: r for r in read_csv(out / "summary.csv")}
    assert summary["good"]["failed"] == "0" and summary["wrong_expectation"]["failed"] == "1"
    assert summary["broken"]["errors"] == "1"
    printed = capsys.readouterr().out
    assert "FAIL  wrong::wrong_expectation" in printed and "ERROR " in printed


def test_rows_are_in_a_fixed_order_and_repeat_byte_for_byte(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text(PASSING)
    (folder / "b.yaml").write_text(FAILING)
    main([str(folder), "--out", str(tmp_path / "one"), "--timeout", "0", "-q"])
    main([str(folder), "--out", str(tmp_path / "two"), "--jobs", "2", "-q"])
    first = (tmp_path / "one" / "results.csv").read_bytes()
    assert first == (tmp_path / "two" / "results.csv").read_bytes()
    cases = [r["case"] for r in read_csv(tmp_path / "one" / "results.csv")]
    assert cases == sorted(cases, key=["good", "wrong_expectation"].index)


def test_points_where_the_mathematics_breaks_are_error_rows(tmp_path):
    (tmp_path / "m.yaml").write_text("""\
cases:
  - {name: log_neg, function: log(x), at: {x: -1}, checks: [derivative]}
  - {name: pole, function: 1/x, at: {x: 0}, checks: [derivative]}
  - {name: kink, function: abs(x), at: {x: 0}, checks: [derivative]}
""")
    assert main([str(tmp_path / "m.yaml"), "--out", str(tmp_path / "o"), "--timeout", "0", "-q"]) == 2
    rows = read_csv(tmp_path / "o" / "results.csv")
    messages = {r["case"]: r["message"] for r in rows}
    assert all(r["status"] == "error" for r in rows)
    assert "outside the domain" in messages["log_neg"]
    assert "pole" in messages["pole"]
    assert "one-sided derivatives: d/dx = -1.0 (left), 1.0 (right)" in messages["kink"]
