"""The ``jacobian`` check, vector-valued functions, ``expect.jacobian`` and
the ``direction`` option of ``gradient`` and ``jacobian`` (CASES.md v1.1)."""
from __future__ import annotations

import numpy as np

from verify.checks.case import run_case
from verify.core.run_options import RunOptions
from tests.conftest import load_one

SOFTMAX = """
name: softmax
function:
  s1: exp(z1) / (exp(z1) + exp(z2) + exp(z3))
  s2: exp(z2) / (exp(z1) + exp(z2) + exp(z3))
  s3: exp(z3) / (exp(z1) + exp(z2) + exp(z3))
at: {z1: 0.5, z2: -1.25, z3: 2}
checks:
  jacobian: {methods: [central, complex_step], direction: {z1: 1, z2: -2, z3: 0.5}}
"""


def _rows(tmp_path, text):
    (case,), errors = load_one(tmp_path, text)
    assert not errors, errors
    return case, run_case(case, RunOptions(timeout=0)).results


def _softmax_jacobian(z):
    s = np.exp(z) / np.sum(np.exp(z))
    return np.diag(s) - np.outer(s, s)  # s_i (delta_ij - s_j)


def test_softmax_jacobian_every_entry_by_every_method(tmp_path):
    case, rows = _rows(tmp_path, SOFTMAX)
    assert [name for name, _ in case.outputs] == ["s1", "s2", "s3"]
    wanted = _softmax_jacobian(np.array([0.5, -1.25, 2.0]))
    for i in range(3):
        for j in range(3):
            quantity = f"jac[s{i + 1},z{j + 1}]"
            found = {r.method: r for r in rows if r.quantity == quantity}
            assert set(found) == {"central", "complex_step", "backprop", "forward-mode"}
            for row in found.values():
                assert row.status.value == "pass", row
                assert abs(row.exact - wanted[i, j]) <= 1e-15
                assert abs(row.numeric - wanted[i, j]) <= 1e-6
            for method in ("backprop", "forward-mode"):
                assert abs(found[method].numeric - wanted[i, j]) <= 1e-15


def test_directional_rows_are_the_jacobian_times_v(tmp_path):
    _, rows = _rows(tmp_path, SOFTMAX)
    v = np.array([1.0, -2.0, 0.5])
    wanted = _softmax_jacobian(np.array([0.5, -1.25, 2.0])) @ v
    for i in range(3):
        found = {r.method: r for r in rows if r.quantity == f"dir[s{i + 1}]"}
        assert set(found) == {"central", "complex_step", "backprop"}
        for row in found.values():
            assert row.status.value == "pass", row
            assert abs(row.exact - wanted[i]) <= 1e-14
            assert abs(row.numeric - wanted[i]) <= 1e-6


def test_gradient_direction_is_grad_dot_v(tmp_path):
    _, rows = _rows(tmp_path, """
        name: g
        function: x**2*sin(y)
        at: {x: 1.5, y: 0.3}
        checks:
          gradient: {methods: [central4], direction: {x: 0.6, y: 0.8}}
        """)
    x, y = 1.5, 0.3
    wanted = 0.6 * 2 * x * np.sin(y) + 0.8 * x**2 * np.cos(y)
    found = {r.method: r for r in rows if r.quantity == "dir[f]"}
    assert set(found) == {"central4", "backprop"}
    for row in found.values():
        assert row.status.value == "pass" and row.check == "gradient"
        assert abs(row.exact - wanted) <= 1e-15


def test_wrong_expected_entry_fails_naming_it(tmp_path):
    _, rows = _rows(tmp_path, """
        name: polar
        function: ["r*cos(theta)", "r*sin(theta)"]
        variables: [r, theta]
        at: {r: 2, theta: "pi/3"}
        checks: [jacobian]
        expect:
          jacobian: [["1/2", "sqrt(3)"], ["sqrt(3)/2", 1]]
        """)
    expected = {r.quantity: r.status.value for r in rows if r.check == "expect"}
    assert expected == {"expect:jac[f1,r]": "pass", "expect:jac[f1,theta]": "fail",
                        "expect:jac[f2,r]": "pass", "expect:jac[f2,theta]": "pass"}
    jac = [r for r in rows if r.check == "jacobian"]
    assert jac and all(r.status.value == "pass" for r in jac)
    exact = {r.quantity: r.exact for r in jac if r.method == "backprop"}
    assert all(abs(exact[k] - w) <= 1e-15 for k, w in (
            ("jac[f1,r]", 0.5), ("jac[f1,theta]", -np.sqrt(3)),
            ("jac[f2,r]", np.sqrt(3) / 2), ("jac[f2,theta]", 1.0)))


def test_scalar_checks_refuse_a_vector_function(tmp_path):
    _, rows = _rows(tmp_path, """
        name: v
        function: [x*y, x + y]
        at: {x: 1, y: 2}
        checks: [gradient, hessian, backprop, jacobian]
        """)
    errors = {r.check: r.message for r in rows if r.status.value == "error"}
    assert set(errors) == {"gradient", "hessian", "backprop"}
    assert "'gradient' needs a scalar function" in errors["gradient"]
    assert "2 outputs (f1, f2)" in errors["gradient"]
    assert all(r.status.value == "pass" for r in rows if r.check == "jacobian")


def test_vector_function_defaults_to_the_jacobian(tmp_path):
    (case,), _ = load_one(tmp_path, "name: v\nfunction: [x*y, x + y]\nat: {x: 1, y: 2}\n")
    assert [c.name for c in case.checks] == ["jacobian"]


def test_scalar_function_jacobian_is_its_gradient(tmp_path):
    _, rows = _rows(tmp_path, """
        name: s
        function: x*exp(y)
        at: {x: 2, y: 0.5}
        checks: {jacobian: {methods: [central]}}
        """)
    found = {(r.quantity, r.method): r for r in rows}
    assert abs(found[("jac[f,x]", "forward-mode")].exact - np.exp(0.5)) <= 1e-15
    assert abs(found[("jac[f,y]", "backprop")].exact - 2 * np.exp(0.5)) <= 1e-15
    assert all(r.status.value == "pass" for r in rows)


def _load_error(tmp_path, text):
    cases, errors = load_one(tmp_path, text)
    assert not cases
    return errors[0].message


def test_bad_vector_input_is_an_error_naming_the_key(tmp_path):
    message = _load_error(tmp_path, """
        name: v
        function: [x*y, x + y]
        at: {x: 1, y: 2}
        expect: {gradient: {x: 2}}
        """)
    assert "expect" in message
    assert "'gradient' needs a scalar function" in message
    message = _load_error(tmp_path, """
        name: v
        function: [x*y, x + y]
        at: {x: 1, y: 2}
        expect: {jacobian: [[2, 1]]}
        """)
    assert "jacobian must be a 2x2 nested list" in message
    message = _load_error(tmp_path, """
        name: s
        function: x*y
        at: {x: 1, y: 2}
        expect: {jacobian: [[2, 1]]}
        """)
    assert "'jacobian' needs a vector-valued function" in message
    message = _load_error(tmp_path, """
        name: s
        function: x*y
        at: {x: 1, y: 2}
        checks: {gradient: {direction: {z: 1}}}
        """)
    assert "variable 'z' is not in the function" in message
    message = _load_error(tmp_path, """
        name: s
        function: x*y
        at: {x: 1, y: 2}
        checks: {gradient: {direction: {x: 0}}}
        """)
    assert "non-zero direction" in message
    message = _load_error(tmp_path, """
        name: s
        function: {"1bad": x}
        at: {x: 1}
        """)
    assert "output name '1bad'" in message


def test_jacobian_entries_at_a_where_switch(tmp_path):
    # f1 joins smoothly at 0 (cos 0 = 1 both sides); f2 = sin(x) beside 0 but its
    # point takes the branch 0: reverse and forward passes follow it, so they are skipped
    _, rows = _rows(tmp_path, """
name: where_rows
function: ["where(x < 0, sin(x), x)", "where(x**2 <= 0, 0, sin(x))"]
at: {x: 0}
checks:
  jacobian: {methods: [forward]}
""")
    by = {(r.method, r.quantity): r for r in rows}
    for method in ("forward", "backprop", "forward-mode"):
        assert by[(method, "jac[f1,x]")].status == "pass"
        assert by[(method, "jac[f1,x]")].numeric == 1.0
    assert by[("forward", "jac[f2,x]")].status == "pass"
    for method in ("backprop", "forward-mode"):
        assert by[(method, "jac[f2,x]")].status == "skip"
        assert "gives 0.0" in by[(method, "jac[f2,x]")].message


def test_where_float64_overflows_the_rows_are_skips_and_forward_mode_keeps_exact_zeros(tmp_path):
    # exp(2u**2 - u) overflows at u = -52.6: the rows that pass through it cannot
    # be run in float64 (skips naming the node); d f1/dv does not pass through it,
    # and forward mode's tangent of the overflowing node is an exact 0 for v
    # (it was inf * 0 = NaN, an error row)
    path = tmp_path / "far.yaml"
    path.write_text("""
name: far
function:
  f1: "cos(tanh(exp(2*u**2 - u))) * (1 + v**2)"
  f2: "u*v"
at: {u: -52.6352051670915, v: 0.5}
checks:
  jacobian: {direction: {u: 1, v: -2}}
""")
    from verify.api import run
    rows = run(path)
    assert "error" not in set(rows.status) and "fail" not in set(rows.status)
    dv = rows[(rows.quantity == "jac[f1,v]") & rows.method.isin(["backprop", "forward-mode"])]
    assert len(dv) == 2 and set(dv.status) <= {"pass", "inconclusive"}  # judged, not NaN
    du = rows[(rows.quantity == "jac[f1,u]") & (rows.method == "backprop")]
    assert list(du.status) == ["skip"] and "overflows float64" in du.message.iloc[0]
