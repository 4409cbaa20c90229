"""The ``descent`` check: outcome rows, minimum rows, expectations, the figure."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from verify.checks.common import Artifacts
from verify.core.run_options import RunOptions
from verify.checks.descent import run_descent
from tests.conftest import load_one

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, text):
    (case,), errors = load_one(tmp_path, text)
    assert not errors, errors
    check = next(c for c in case.checks if c.name == "descent")
    artifacts = Artifacts()
    return run_descent(case, check, RunOptions(timeout=0), artifacts), artifacts


def _rows(rows, quantity, method=None):
    return [r for r in rows if r.quantity == quantity and (method is None or r.method == method)]


QUARTIC = """
name: quartic
function: x**4 - 3*x**3 + 2
at: {x: 4}
checks:
  descent: {start: {x: 4}, lr: [0.001, 0.01, 0.1], steps: 100,
            outcome: [unconverged, converged, diverged]}
expect:
  minimum: {x: 2.25}
"""


def test_one_outcome_row_per_learning_rate(tmp_path):
    rows, _ = _run(tmp_path, QUARTIC)
    runs = [r for r in rows if r.quantity.startswith("descent(") and r.method == "exact gradient"]
    assert [(r.quantity, r.status) for r in runs] == [
        ("descent(lr=0.001)", "pass"), ("descent(lr=0.01)", "pass"), ("descent(lr=0.1)", "pass")]
    assert [r.message.split(";")[0] for r in runs] == ["unconverged", "converged", "diverged"]
    assert runs[1].exact == 2.25 and abs(runs[1].numeric - 2.25) < 1e-9
    assert "after 4 of 100 steps" in runs[2].message
    info = _rows(rows, "stationary_points")[0]
    assert info.status == "skip" and info.message == (
        "informational: stationary points: saddle at x=0 (SymPy solve); "
        "minimum at x=9/4 (SymPy solve)")


def test_minimum_rows_judge_converged_runs_and_skip_the_others(tmp_path):
    rows, _ = _run(tmp_path, QUARTIC)
    minimum = _rows(rows, "minimum[x]")
    assert [(r.method, r.status) for r in minimum] == [
        ("descent(lr=0.001)", "skip"), ("descent(lr=0.01)", "pass"), ("descent(lr=0.1)", "skip")]
    assert minimum[1].tolerance == 1e-6 * 2.25 and minimum[1].bound_kind == "xtol"
    assert minimum[0].message.startswith("the run unconverged: its end point is not a minimiser")
    expect = _rows(rows, "expect:minimum[x]")[0]
    assert (expect.check, expect.status, expect.exact) == ("expect", "pass", 2.25)


def test_an_unexpected_outcome_fails_and_says_so(tmp_path):
    rows, _ = _run(tmp_path, QUARTIC.replace("outcome: [unconverged, converged, diverged]",
                                             "outcome: converged"))
    runs = _rows(rows, "descent(lr=0.1)", "exact gradient")
    assert runs[0].status == "fail"
    assert runs[0].message.startswith("the run diverged (expected 'converged')")


def test_without_outcome_a_run_must_converge(tmp_path):
    rows, _ = _run(tmp_path, QUARTIC.replace(
        "\n            outcome: [unconverged, converged, diverged]", ""))
    statuses = [r.status for r in rows if r.quantity.startswith("descent(")
                and r.method == "exact gradient"]
    assert statuses == ["fail", "pass", "fail"]
    failed = _rows(rows, "descent(lr=0.001)", "exact gradient")[0]
    assert failed.message.startswith(
        "the run unconverged (no outcome was given, so the run should converge)")


def test_backprop_runs_beside_the_exact_gradient(tmp_path):
    rows, _ = _run(tmp_path, QUARTIC)
    backprop = [r for r in rows if r.method == "backprop"]
    assert [r.status for r in backprop] == ["pass"] * 3
    assert "of the exact-gradient run's" in backprop[1].message


def test_quadratic_theory_is_printed_beside_the_outcome(tmp_path):
    rows, _ = _run(tmp_path, """
        name: parabola
        function: (x - 3)**2 + 1
        at: {x: 0}
        checks: {descent: {start: {x: 0}, lr: [0.1, 1.1], steps: 100,
                           outcome: [converged, diverged]}}
    """)
    slow, fast = (_rows(rows, f"descent(lr={lr})", "exact gradient")[0] for lr in ("0.1", "1.1"))
    assert slow.status == fast.status == "pass"
    assert "theory (quadratic): lr 0.1 < 2/lambda_max = 1, contraction max|1 - lr lambda| = 0.8" \
        in slow.message and "predicted converged" in slow.message
    assert "lr 1.1 >= 2/lambda_max = 1" in fast.message and "predicted diverged" in fast.message


def test_bad_options_are_load_errors_naming_file_case_and_key(tmp_path):
    def message(text):
        cases, errors = load_one(tmp_path, text)
        assert not cases and len(errors) == 1
        return errors[0].message
    lead = f"{tmp_path / 'one.yaml'}:"
    wrong_lr = message(QUARTIC.replace("lr: [0.001, 0.01, 0.1]", "lr: [0.001, -0.01, 0.1]"))
    assert wrong_lr.startswith(lead) and "key 'checks'" in wrong_lr
    assert wrong_lr.endswith("check 'descent': `lr` must be positive.")
    assert "`outcome` lists 2 entries for 3 learning rates (give one, or one per lr)" in message(
        QUARTIC.replace("outcome: [unconverged, converged, diverged]",
                        "outcome: [unconverged, converged]"))
    assert message(QUARTIC.replace("steps: 100,", "steps: 100, xtol: 0,")).endswith(
        "check 'descent': `xtol` must be positive.")


def test_wrong_expected_minimum_fails(tmp_path):
    rows, _ = _run(tmp_path, QUARTIC.replace("minimum: {x: 2.25}", "minimum: {x: 2.4}"))
    wrong = _rows(rows, "expect:minimum[x]")[0]
    assert wrong.status == "fail"
    assert wrong.message.startswith("expected 2.4 but the exact value is 2.25")


def test_figure_data(tmp_path):
    _, artifacts = _run(tmp_path, QUARTIC)
    ((kind, title, data),) = artifacts.figures
    assert kind == "descent" and title == "quartic: gradient descent from x=4"
    assert sorted(data) == ["grid", "minimisers", "runs", "variables"]
    assert data["variables"] == ["x"] and data["minimisers"] == [[2.25]]
    assert [r["outcome"] for r in data["runs"]] == ["unconverged", "converged", "diverged"]
    slow = data["runs"][0]
    assert len(slow["path"]) == len(slow["loss"]) == 101 and slow["path"][0] == [4.0]
    assert slow["loss"][0] == 4.0 ** 4 - 3 * 4.0 ** 3 + 2
    assert len(data["runs"][2]["path"]) == 5  # stopped when it passed the bound
    assert sorted(data["grid"]) == ["f", "x"] and len(data["grid"]["x"]) == 201
    json.dumps(data)


def test_two_variable_figure_keeps_paths_short(tmp_path):
    _, artifacts = _run(tmp_path, """
        name: bowl
        function: x**2 + 10*y**2
        at: {x: 1, y: 1}
        checks: {descent: {start: {x: 1, y: 1}, lr: 0.01, steps: 3000}}
    """)
    ((_, _, data),) = artifacts.figures
    run = data["runs"][0]
    assert len(run["path"]) <= 500 and len(run["loss"]) == 3001
    # the first and the last point survive the subsampling; 0.98^3000 brings it to (0, 0)
    assert run["path"][0] == [1.0, 1.0] and max(map(abs, run["path"][-1])) < 1e-20
    grid = data["grid"]
    assert len(grid["x"]) == len(grid["y"]) == 41 and np.shape(grid["z"]) == (41, 41)


def test_shipped_cases_pass(shipped_run):
    out, done = shipped_run.out, shipped_run
    assert done.returncode == 0, done.stdout + done.stderr
    text = (out / "results.csv").read_text()
    assert "descent(lr=0.9)" in text and "expect:minimum[w]" in text
