"""The ``backprop`` check: rows, graphs.csv, the graph table, expect.adjoint,
three-way agreement, kinks and domains."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import mpmath
import pytest

from verify.core import functions
from verify.checks.backprop import run_backprop
from verify.checks.common import Artifacts
from verify.core.run_options import RunOptions
from verify.checks.compare import judge_agreement
from verify.numeric.differences import Difference
from verify.report.graph_table import render, rows as table_rows
from verify.checks.case import run_case
from tests.conftest import load_one

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, text):
    (case,), errors = load_one(tmp_path, text)
    assert not errors
    check = next(c for c in case.checks if c.name == "backprop")
    artifacts = Artifacts()
    rows = run_backprop(case, check, RunOptions(timeout=0), artifacts)
    return case, rows, artifacts


def _break_sin(monkeypatch, derivative):
    """sin's local derivative rule replaced by ``derivative``: a fault to catch."""
    monkeypatch.setitem(functions.BY_NAME, "sin",
                        dataclasses.replace(functions.BY_NAME["sin"], derivative=derivative))


def _row(rows, quantity):
    return next(r for r in rows if r.quantity == quantity)


LAB = """
name: lab
graph: {a: x*y, b: a + 1, L: b**2}
at: {x: 2, y: 3}
checks: [backprop]
"""


def test_the_lab_graph_passes_with_ulps_in_the_message(tmp_path):
    _, rows, _ = _run(tmp_path, LAB)
    grad_x = _row(rows, "grad[x]")
    assert (grad_x.method, grad_x.numeric, grad_x.status) == ("backprop", 42.0, "pass")
    assert grad_x.message == "0 ulps from the exact value"
    assert grad_x.bound_kind == "rounding" and 0 < grad_x.tolerance < 1e-12
    agree = _row(rows, "agree[y]")
    assert (agree.method, agree.status, agree.message) == (
        "three-way", "pass", "exact, backprop, central agree")


def test_graphs_csv_rows_are_in_node_order(tmp_path):
    _, _, artifacts = _run(tmp_path, LAB)
    graphs = artifacts.tables["graphs"]
    assert [r["node"] for r in graphs] == ["x", "y", "a", "b", "L"]
    a = graphs[2]
    assert (a["case"], a["point"], a["expression"], a["value"], a["adjoint"]) == (
        "one::lab", "x=2, y=3", "x*y", 6.0, 14.0)
    assert a["local_derivatives"] == "da/dx=3; da/dy=2"
    assert graphs[0]["role"] == "variable"
    assert set(graphs[0]) >= {"case", "point", "node", "expression", "value",
                              "local_derivatives", "adjoint"}


def test_the_graph_table_reads_like_the_lab_printout(tmp_path):
    _, _, artifacts = _run(tmp_path, LAB)
    (kind, title, data), = artifacts.figures
    assert (kind, title) == ("graph_table", "lab: backprop at x=2, y=3")
    chains = [r["chain"] for r in table_rows(data)]
    assert chains == ["dL/dx = dL/da * da/dx = 14 * 3 = 42",
                      "dL/dy = dL/da * da/dy = 14 * 2 = 28",
                      "dL/da = dL/db * db/da = 14 * 1 = 14",
                      "dL/db = 14",
                      "dL/dL = 1"]
    assert [r["local"] for r in table_rows(data)][2] == "da/dx = 3, da/dy = 2"
    html = render(title, data)
    assert "dL/dx = dL/da * da/dx = 14 * 3 = 42" in html and html.startswith("<table")


def test_jurafsky_martin_chain_and_negative_factors(tmp_path):
    _, rows, artifacts = _run(tmp_path, """
        name: jm
        graph: {d: 2*b, e: a + d, L: c*e}
        at: {a: 3, b: 1, c: -2}
        checks: [backprop]
    """)
    assert [_row(rows, f"grad[{v}]").numeric for v in "abc"] == [-2.0, -4.0, 5.0]
    chains = {r["node"]: r["chain"] for r in table_rows(artifacts.figures[0][2])}
    assert chains["b"] == "dL/db = dL/dd * dd/db = -2 * 2 = -4"
    assert chains["c"] == "dL/dc = 5"


def test_a_shared_node_sums_its_uses_in_the_table(tmp_path):
    _, rows, artifacts = _run(tmp_path, """
        name: shared
        function: exp(x) + x*exp(x)
        at: {x: 0}
        checks: [backprop]
    """)
    assert _row(rows, "grad[x]").status == "pass"
    chains = {r["expression"]: r["chain"] for r in table_rows(artifacts.figures[0][2])}
    assert chains["exp(x)"] == "df/dt1 = df/dt2 * dt2/dt1 + ∂f/∂t1 = 1 * 0 + 1 = 1"


def test_expect_adjoint_passes_and_a_wrong_one_names_both_values(tmp_path):
    _, rows, _ = _run(tmp_path, LAB + "expect: {adjoint: {a: 14, b: 15}}\n")
    good, bad = _row(rows, "expect:adjoint[a]"), _row(rows, "expect:adjoint[b]")
    assert (good.check, good.status) == ("expect", "pass")
    assert bad.status == "fail"
    assert bad.message.startswith("expected 15 but the exact value is 14")
    numeric = _row(rows, "adjoint[b]")
    assert (numeric.method, numeric.numeric, numeric.status) == ("backprop", 14.0, "pass")


def test_sigmoid_cross_entropy_adjoint_is_a_minus_y(tmp_path):
    with mpmath.workdps(40):
        a_minus_y = 1 / (1 + mpmath.exp(-mpmath.mpf(1) / 2)) - 1
    _, rows, _ = _run(tmp_path, f"""
        name: bce
        graph: {{z: w*x + b, a: sigmoid(z), L: -(y*log(a) + (1 - y)*log(1 - a))}}
        parameters: {{x: 2, y: 1}}
        variables: [w, b]
        at: {{w: 0.3, b: -0.1}}
        checks: [backprop]
        expect: {{adjoint: {{z: "{mpmath.nstr(a_minus_y, 16)}"}}}}
    """)
    row = _row(rows, "expect:adjoint[z]")
    assert row.status == "pass" and row.exact == float(a_minus_y)
    assert _row(rows, "adjoint[z]").status == "pass"


def test_a_broken_local_derivative_makes_backprop_the_odd_one_out(tmp_path, monkeypatch):
    _break_sin(monkeypatch, lambda lib, a, out: -lib.cos(a))
    _, rows, _ = _run(tmp_path, """
        name: broken
        function: sin(x**2)
        at: {x: 1.5}
        checks: [backprop]
    """)
    assert _row(rows, "grad[x]").status == "fail"
    agree = _row(rows, "agree[x]")
    assert agree.status == "fail"
    assert agree.message.startswith("backprop is the odd one out: a backprop graph problem")


def test_a_wrong_gradient_expectation_is_the_odd_one_out(tmp_path):
    _, rows, _ = _run(tmp_path, LAB + "expect: {gradient: {x: 41}}\n")
    agree = _row(rows, "agree[x]")
    assert agree.status == "fail"
    assert agree.message.startswith("expect.gradient is the odd one out: a wrong expectation")
    assert _row(rows, "agree[y]").status == "pass"


def test_a_bad_difference_is_a_step_problem(tmp_path, monkeypatch):
    import verify.numeric.differences as differences
    real = differences.partial

    def off(*args, **kwargs):
        d = real(*args, **kwargs)
        return Difference(d.value + 1e-3, d.h, d.method, d.order, d.note, d.levels)
    monkeypatch.setattr(differences, "partial", off)
    # differences are kept per function, point and step: an earlier test's run of
    # the same case would answer without calling the patched engine
    monkeypatch.setattr("verify.checks.common._DIFFERENCES", {})
    monkeypatch.setattr("verify.checks.common._GUARDED", {})
    _, rows, _ = _run(tmp_path, LAB)
    assert _row(rows, "agree[x]").message.startswith(
        "central is the odd one out: a finite-difference step problem")


def test_judge_agreement_names_the_exact_value_when_the_others_agree():
    row = judge_agreement({"file": "f", "case": "c", "check": "backprop"}, quantity="agree[x]",
                          point="x=1", exact=mpmath.mpf(2),
                          answers=[("backprop", 1.0, 1e-12, "p"), ("central", 1.0, 1e-9, "q")])
    assert row.status == "fail"
    assert row.message.startswith("the exact value is the odd one out")


def test_a_kink_gives_error_rows_with_one_sided_derivatives(tmp_path):
    _, rows, artifacts = _run(tmp_path, """
        name: relu_at_zero
        graph: {z: w*x + b, a: relu(z), L: (a - y)**2}
        parameters: {x: 1, y: 1}
        variables: [w, b]
        at: {w: -0.1, b: 0.1}
        checks: [backprop]
    """)
    grad = _row(rows, "grad[w]")
    assert grad.status == "error"
    assert "is a kink of relu(" in grad.message and "(left)" in grad.message
    assert _row(rows, "agree[w]").status == "error"
    notes = {r["node"]: r["note"] for r in table_rows(artifacts.figures[0][2])}
    assert notes["a"].startswith("kink")
    assert artifacts.tables["graphs"][1]["adjoint"] == 0.0   # relu'(0) = 0 used


def test_a_kink_in_some_data_rows_is_an_error(tmp_path):
    _, rows, _ = _run(tmp_path, """
        name: relu_rows
        function: sum(relu(w*x - 1))
        data: {x: [1, 2, 3]}
        at: {w: 0.5}
        checks: [backprop]
    """)
    grad = _row(rows, "grad[w]")
    assert grad.status == "error" and "in some data rows" in grad.message


def test_outside_the_domain_is_an_error_row(tmp_path):
    _, rows, artifacts = _run(tmp_path, """
        name: log_negative
        function: log(x)
        at: {x: -1}
        checks: [backprop]
    """)
    assert {r.status for r in rows} == {"error"}
    assert "not defined" in _row(rows, "grad[x]").message
    assert artifacts.tables["graphs"]  # the graph is still shown


def test_a_loss_over_data_rows(tmp_path):
    _, rows, artifacts = _run(tmp_path, """
        name: mse
        function: mean((y - (w*x + b))**2)
        data: {x: [1, 2, 3, 4], y: [2, 4, 5, 8]}
        at: {w: 1.5, b: 0.5}
        checks: [backprop]
    """)
    assert {r.status for r in rows} == {"pass"}
    summaries = [r["value"] for r in artifacts.tables["graphs"] if isinstance(r["value"], str)]
    assert summaries and all(s.startswith("4 rows, mean ") for s in summaries)


def test_expect_adjoint_of_a_row_node_is_an_error(tmp_path):
    _, rows, _ = _run(tmp_path, """
        name: rows
        graph: {p: w*x, L: sum(p**2)}
        data: {x: [1, 2]}
        at: {w: 1}
        checks: [backprop]
        expect: {adjoint: {p: 1}}
    """)
    assert "one value per data row" in _row(rows, "expect:adjoint[p]").message


def test_shipped_backprop_cases_all_pass(shipped_run):
    out, done = shipped_run.out, shipped_run
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "graphs.csv", newline="") as handle:
        graphs = list(csv.DictReader(handle))
    lab = [r for r in graphs if r["case"].endswith("::lab_graph")]
    assert [r["node"] for r in lab] == ["x", "y", "a", "b", "L"]
    assert [r["adjoint"] for r in lab] == ["42.0", "28.0", "14.0", "14.0", "1.0"]
    assert "dL/dx = dL/da * da/dx = 14 * 3 = 42" in (out / "report.html").read_text()


def test_run_case_collects_the_graph_table(tmp_path):
    (case,), _ = load_one(tmp_path, LAB)
    run = run_case(case, RunOptions(timeout=0))
    assert [kind for kind, _, _ in run.figures] == ["graph_table"]
    assert dict(run.tables)["graphs"][0]["node"] == "x"


def test_backprop_at_a_where_switch_that_joins_smoothly(tmp_path):
    # where(x < 0, sin(x), x) at 0: cos 0 = 1 from the left, 1 from the right; the point
    # takes x (x < 0 fails), whose local derivative 1 is the derivative
    _, rows, _ = _run(tmp_path, """
name: joined
function: where(x < 0, sin(x), x)
at: {x: 0}
checks: [backprop]
""")
    assert _row(rows, "grad[x]").status == "pass" and _row(rows, "grad[x]").numeric == 1.0
    assert _row(rows, "agree[x]").status == "pass"


@pytest.mark.parametrize("function", [
    # x**2 <= 0 holds at 0 only: f is sin(x) around 0 (f' = 1); the pass follows the
    # point's own branch 0, whose derivative is 0
    "where(x**2 <= 0, 0, sin(x))",
    # elu'(0) = 1 (exp(0) left, 1 right); the pass takes relu'(0) = 0 and, for the tie of
    # exp(x) - 1 with the constant 0 in Min, 0
    "elu(x)",
])
def test_backprop_is_not_judged_where_its_choice_at_a_tie_is_not_the_derivative(tmp_path,
                                                                                  function):
    _, rows, _ = _run(tmp_path, f"""
name: convention
function: "{function}"
at: {{x: 0}}
checks: [backprop]
""")
    grad = _row(rows, "grad[x]")
    assert grad.status == "skip" and "exists (1.0)" in grad.message
    assert "choice at the tie" in grad.message and "gives 0.0" in grad.message
    assert _row(rows, "agree[x]").status == "skip"


def test_backprop_at_a_tie_whose_choice_is_the_derivative_is_judged(tmp_path):
    # x*abs(x) at 0: abs'(0) = 0 in the pass, and the product rule gives 0*0 + x*0 = 0 = f'(0)
    _, rows, _ = _run(tmp_path, """
name: judged
function: x*abs(x) + x
at: {x: 0}
checks: [backprop]
""")
    assert _row(rows, "grad[x]").status == "pass" and _row(rows, "grad[x]").numeric == 1.0


def test_a_graph_float64_cannot_run_is_a_skip_naming_the_node(tmp_path):
    # exp(800) overflows inside the sigmoid; f and its exact derivative are fine
    _, rows, _ = _run(tmp_path, """
        name: far_sigmoid
        function: 1/(1 + exp(-x))
        at: {x: -800}
        checks: [backprop]
    """)
    grad = _row(rows, "grad[x]")
    assert grad.status == "skip"
    assert grad.message.startswith("float64 cannot run the graph here: node ")
    assert "overflows float64" in grad.message
    assert _row(rows, "agree[x]").status in ("inconclusive", "skip")


def test_a_nan_from_finite_nodes_is_still_an_error(tmp_path, monkeypatch):
    _break_sin(monkeypatch, lambda lib, a, out: lib.cos(a) * float("nan"))
    _, rows, _ = _run(tmp_path, """
        name: nan_local
        function: sin(x**2)
        at: {x: 1.5}
        checks: [backprop]
    """)
    grad = _row(rows, "grad[x]")
    assert grad.status == "error" and "backprop gave nan" in grad.message


def test_an_overflowing_local_derivative_is_a_skip(tmp_path):
    # 1/x at 1e-200 is 1e200, its local derivative -1e400 overflows (so does f')
    _, rows, _ = _run(tmp_path, """
        name: steep
        function: 1/x + 1
        at: {x: 1e-200}
        checks: [backprop]
    """)
    grad = _row(rows, "grad[x]")
    assert grad.status == "skip" and "not applied" in grad.message


def test_an_overflow_off_the_variables_way_does_not_excuse_its_nan(tmp_path, monkeypatch):
    # exp(y) overflows at y = 800, but x's adjoint does not pass through it: a
    # NaN from sin's rule is the rule's fault (an error), while y's row is a skip
    _break_sin(monkeypatch, lambda lib, a, out: lib.cos(a) * float("nan"))
    _, rows, _ = _run(tmp_path, """
        name: apart
        function: sin(x) + exp(-exp(y))
        at: {x: 1, y: 800}
        checks: [backprop]
    """)
    assert _row(rows, "grad[x]").status == "error"
    assert _row(rows, "grad[y]").status == "skip"


def test_an_infinite_local_derivative_from_finite_values_is_an_error(tmp_path, monkeypatch):
    _break_sin(monkeypatch, lambda lib, a, out: lib.cos(a) * float("inf"))
    _, rows, _ = _run(tmp_path, """
        name: rule
        function: sin(x) + y
        at: {x: 1, y: 3}
        checks: [backprop]
    """)
    assert _row(rows, "grad[x]").status == "error"


def test_an_overflow_beside_the_way_does_not_excuse_a_rules_nan(tmp_path, monkeypatch):
    # Min(x, exp(y)) at y = 800 is x: exp(y) overflows beside x's way, and a Min
    # rule that makes NaN of its inf sibling is the rule's fault (an error)
    from verify.numeric import backprop as engine_module
    real = engine_module.Node.extreme

    def broken(kind, *args):
        node = real(kind, *args)
        sizes = [engine_module._value(a) for a in args]
        bad = tuple(d * (1 + 0 * max(sizes)) for d in node.rule())
        return engine_module.Node(node.value, node.parents, kind, lambda: bad, kink=node.kink)
    monkeypatch.setattr(engine_module.Node, "extreme", staticmethod(broken))
    _, rows, _ = _run(tmp_path, """
        name: beside
        function: Min(x, exp(y))
        at: {x: 1, y: 800}
        checks: [backprop]
    """)
    assert _row(rows, "grad[x]").status == "error"
    assert _row(rows, "grad[y]").status == "skip"  # exp(y) is on y's way
