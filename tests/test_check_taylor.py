"""The ``taylor`` check: rows, expectations, the radius flag and the figure."""
from __future__ import annotations

import json
from pathlib import Path

import verify
from verify.checks.common import Artifacts
from verify.core.run_options import RunOptions
from verify.checks.taylor import run_taylor
from verify.checks.case import run_case
from tests.conftest import load_one

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, text):
    (case,), errors = load_one(tmp_path, text)
    assert not errors
    check = next(c for c in case.checks if c.name == "taylor")
    artifacts = Artifacts()
    return run_taylor(case, check, RunOptions(timeout=0), artifacts), artifacts


def _row(rows, quantity):
    return next(r for r in rows if r.quantity == quantity)


EXP = """
name: exp_at_1
function: exp(x)
at: {x: 1}
checks:
  taylor: {about: 0, order: 4, sums_at: [1]}
"""


def test_rows_for_coefficients_radius_and_partial_sums(tmp_path):
    rows, _ = _run(tmp_path, EXP)
    assert [r.quantity for r in rows] == (
        [f"taylor[{k}]" for k in range(5)] + ["radius"]
        + [f"partial_sum[n={n}](x=1)" for n in range(5)])
    c3 = _row(rows, "taylor[3]")
    assert (c3.method, c3.point, c3.status, c3.bound_kind) == ("cauchy_fft", "x=0", "pass", "estimate")
    assert abs(c3.numeric - 1 / 6) < 1e-14 and c3.exact == 1 / 6
    radius = _row(rows, "radius")
    assert radius.status == "skip" and "infinite" in radius.message
    s4 = _row(rows, "partial_sum[n=4](x=1)")
    assert (s4.numeric, s4.status, s4.message) == (65 / 24, "pass", "5 nonzero terms")
    assert s4.bound_kind == "rigorous"
    # Lagrange: e^xi / 5! with xi in [0, 1], so the bound is e/120 (times a hair)
    assert 2.718281828 / 120 <= s4.tolerance <= 2.7182819 / 120
    assert s4.abs_error <= s4.tolerance


def test_a_high_order_partial_sum_is_judged_before_rounding(tmp_path):
    rows, _ = _run(tmp_path, EXP.replace("order: 4", "order: 19"))
    last = _row(rows, "partial_sum[n=19](x=1)")
    # the float of the sum equals float(e); the exact error is 1/20! + ..., under e/20!
    assert last.status == "pass" and last.numeric == 2.718281828459045
    assert 4e-19 < last.abs_error < last.tolerance < 1.2e-18


def test_expectations_raise_the_order_and_name_wrong_values(tmp_path):
    rows, _ = _run(tmp_path, """
        name: tan
        function: tan(x)
        at: {x: 0}
        checks: {taylor: {order: 2}}
        expect:
          taylor: [0, 1, 0, "1/3", 0, 0.1333, 0, "1/7"]
    """)
    expectations = [r for r in rows if r.quantity.startswith("expect:")]
    assert [r.status for r in expectations] == ["pass"] * 7 + ["fail"]
    assert "taylor[7]" in {r.quantity for r in rows}
    wrong = expectations[-1]
    assert wrong.check == "expect" and wrong.message.startswith(
        "expected 1/7 but the exact value is 0.053968253968253968")


def test_points_outside_the_radius_are_skips_that_say_so(tmp_path):
    rows, _ = _run(tmp_path, """
        name: runge
        function: 1/(1 + 25*x**2)
        at: {x: 0}
        checks: {taylor: {order: 6, sums_at: [0.1, 0.3]}}
    """)
    inside = [r for r in rows if r.quantity.endswith("(x=0.1)")]
    outside = [r for r in rows if r.quantity.endswith("(x=0.3)")]
    assert {r.status for r in inside} == {"pass"}
    assert {r.status for r in outside} == {"skip"}
    assert outside[-1].message.startswith(
        "x=0.3 is outside the radius of convergence 0.2 about x=0 (|x - a| = 0.3): "
        "the partial sums diverge as n grows")
    errors = [r.abs_error for r in outside]
    assert errors[6] > errors[4] > errors[2] > errors[0]  # growing with the order
    assert "0.2 (nearest singularities 0.2i, -0.2i)" in _row(rows, "radius").message


def test_errors_at_kinks_and_for_several_variables(tmp_path):
    rows, _ = _run(tmp_path, "{name: k, function: relu(x), at: {x: 0}, checks: [taylor]}")
    assert [(r.quantity, r.status) for r in rows] == [("taylor[0]", "skip"),
                                                      ("taylor[1]", "error")]
    assert "one-sided derivatives of order 1 differ there (left 0.0, right 1.0)" in \
        rows[1].message
    rows, _ = _run(tmp_path, "{name: k, function: x*y, at: {x: 0, y: 1}, checks: [taylor]}")
    assert rows[0].status == "error" and "'taylor' needs one variable" in rows[0].message


def test_an_undefined_sum_point_is_an_error(tmp_path):
    rows, _ = _run(tmp_path, """
        {name: l, function: log(1 + x), at: {x: 0},
         checks: {taylor: {order: 2, sums_at: [-1]}}}
    """)
    assert _row(rows, "partial_sum(x=-1)").status == "error"


def test_figure_data(tmp_path):
    _, artifacts = _run(tmp_path, """
        name: lab_plot
        function: exp(x)
        at: {x: 0}
        checks: {taylor: {about: 0, order: 10, sums_at: [-3, -1, 1, 3]}}
    """)
    ((kind, title, data),) = artifacts.figures
    assert kind == "taylor" and title == "lab_plot: Taylor partial sums about x=0"
    assert sorted(data) == ["about", "bound", "f", "grid", "orders", "partial_sums", "radius",
                            "sums_at", "variable"]
    assert data["orders"] == [1, 2, 3, 5, 10] and data["radius"] is None
    assert data["grid"][0] == -3 and data["grid"][-1] == 3 and 0.0 in data["grid"]
    assert sorted(data["partial_sums"]) == sorted(data["bound"]) == ["1", "10", "2", "3", "5"]
    json.dumps(data)  # plain data only
    for n in data["orders"]:
        for x, f, p, b in zip(data["grid"], data["f"], data["partial_sums"][str(n)],
                              data["bound"][str(n)]):
            assert abs(f - p) <= b * (1 + 1e-9) + 1e-12, (n, x)


def test_shipped_cases_pass_with_the_lab_numbers(shipped_run):
    out, done = shipped_run.out, shipped_run
    assert done.returncode == 0, done.stdout + done.stderr
    text = (out / "results.csv").read_text()
    for number in ("2.708333333333333", "2.7182815255731922", "0.7046526512091675",
                   "0.7071430457793603"):
        assert number in text


def test_run_case_collects_the_figure(tmp_path):
    (case,), _ = load_one(tmp_path, EXP)
    run = run_case(case, RunOptions(timeout=0))
    assert [kind for kind, _, _ in run.figures] == ["taylor"]


def test_expect_radius_is_judged_against_the_exact_radius():
    # issue 10 item 12: sigmoid about 0 has radius pi exactly (poles at +-i pi)
    def radius_row(function, radius):
        table = verify.check(function, at={"x": 0}, checks=["taylor"], expect={"radius": radius})
        row = table[table.quantity == "expect:radius"]
        assert len(row) == 1
        return row.iloc[0]
    assert radius_row("sigmoid(x)", "pi").status == "pass"
    assert radius_row("sigmoid(x)", 3.19).status == "fail"
    entire = radius_row("exp(x)", ".inf")
    assert entire.status == "pass" and entire.exact == entire.numeric == float("inf")
    assert radius_row("exp(x)", float("inf")).status == "pass"
    assert radius_row("1/(1 - x)", ".inf").status == "fail"
    estimated = radius_row("1/(2 + sin(x))", 2)
    assert estimated.status == "skip" and "only estimated" in estimated.message \
        and "was not judged" in estimated.message


def test_about_a_switch_the_coefficients_below_the_jump_exist(tmp_path):
    # abs(x)**3 + sin(x) at 0: f and its first two derivatives exist (coefficients
    # 0, 1, 0); the third jumps from -6 - 1 to 6 - 1 (|x|**3 one-sided, plus sin's -1)
    text = "{name: s, function: abs(x)**3 + sin(x), at: {x: 0}, checks: {taylor: {order: 2}}, " \
           "expect: {taylor: [0, 1, 0]}}"
    rows, _ = _run(tmp_path, text)
    assert {r.quantity: r.status for r in rows if r.quantity.startswith("expect")} == {
        "expect:taylor[0]": "pass", "expect:taylor[1]": "pass", "expect:taylor[2]": "pass"}
    assert [float(_row(rows, f"taylor[{k}]").exact) for k in range(3)] == [0.0, 1.0, 0.0]
    assert all(r.status != "error" for r in rows)
    wrong, _ = _run(tmp_path, text.replace("[0, 1, 0]", "[0, 2, 0]"))
    assert _row(wrong, "expect:taylor[1]").status == "fail"


def test_about_a_switch_a_coefficient_past_the_jump_is_an_error_when_asked(tmp_path):
    base = "{name: s, function: abs(x)**3 + sin(x), at: {x: 0}, checks: {taylor: %s}%s}"
    asked, _ = _run(tmp_path, base % ("{order: 4}", ""))
    stop = _row(asked, "taylor[3]")
    assert stop.status == "error"
    assert "stops at order 2" in stop.message and "(left -7.0, right 5.0)" in stop.message
    beyond, _ = _run(tmp_path, base % ("{order: 2}", ", expect: {taylor: [0, 1, 0, 0]}"))
    assert _row(beyond, "expect:taylor[3]").status == "error"
    default, _ = _run(tmp_path, base % ("", ""))
    assert {r.status for r in default} == {"skip"}
    assert "stops at order 2" in _row(default, "taylor[3]").message


def test_log_at_zero_is_called_a_branch_point_not_a_pole(tmp_path):
    rows, _ = _run(tmp_path, "{name: l, function: log(1 + x), at: {x: 0.5}, "
                             "checks: {taylor: {about: -1}}}")
    assert [r.status for r in rows] == ["error"]
    assert "branch point" in rows[0].message and "pole" not in rows[0].message


def test_taylor_about_a_where_switch_stops_at_the_first_jump(tmp_path):
    # where(x < 0, sin(x), x) about 0: sin and x agree to order 2 (0, 1, 0) and their
    # third derivatives are -1 and 0, so coefficients 0..2 exist and the series stops
    rows, _ = _run(tmp_path, """
name: where_taylor
function: where(x < 0, sin(x), x)
at: {x: 0}
checks:
  taylor: {about: 0, order: 4}
expect: {taylor: [0, 1, 0]}
""")
    for k, value in enumerate((0, 1, 0)):
        assert _row(rows, f"expect:taylor[{k}]").status == "pass"
        assert _row(rows, f"taylor[{k}]").exact == value
    stop = _row(rows, "taylor[3]")
    assert stop.status == "error" and "stops at order 2" in stop.message
    assert "left -1.0, right 0.0" in stop.message


def test_taylor_about_a_jump_of_a_where_says_f_is_not_continuous(tmp_path):
    # x**2 <= 0 holds at 0 only: f(0) = 5 while f = cos(x) = 1 beside it
    rows, _ = _run(tmp_path, """
name: where_jump
function: where(x**2 <= 0, 5, cos(x))
at: {x: 0}
checks:
  taylor: {about: 0, order: 3}
""")
    assert [r.status for r in rows] == ["error"]
    assert rows[0].message.startswith("no Taylor series about x=0: x=0 is a jump of where(")
    assert "f = 5.0 at the point; beside it 1.0 (left), 1.0 (right)" in rows[0].message


def test_the_radius_estimate_uses_ball_values_not_exact_coefficients_of_order_30(
        tmp_path, monkeypatch):
    """SymPy cannot solve tanh(sin(x) + x**2) = i pi/2, so the radius is the root
    test's estimate 1/|c_30|^(1/30). Its coefficients come from ball values
    (exact ones of order 30 about a point such as -0.059 took minutes): the
    estimate equals the one from the exact coefficients, computed here."""
    import mpmath

    from verify.checks import taylor as check
    from verify.exact.symbolic import exact_function
    from verify.exact.taylor import exact_coefficients
    text = "name: c\nfunction: tanh(sin(x) + x**2)\nat: {x: 0.25}\nchecks:\n  taylor: {about: 0}\n"
    (case,), _ = load_one(tmp_path, text)
    exact = exact_coefficients(exact_function(case), case.checks[0].option("about"),
                               check.ESTIMATE_ORDER).values
    wanted = float(abs(mpmath.mpf(exact[-1])) ** (-mpmath.mpf(1) / check.ESTIMATE_ORDER))
    orders = []
    real = check.exact_coefficients
    monkeypatch.setattr(check, "exact_coefficients",
                        lambda engine, at, order: orders.append(order) or real(engine, at, order))
    rows, _ = _run(tmp_path, text)
    radius = _row(rows, "radius")
    assert "estimated from the coefficients" in radius.message
    assert abs(radius.exact - wanted) <= 1e-12 * wanted
    assert max(orders) < check.ESTIMATE_ORDER


def test_a_huge_value_at_the_expansion_point_is_judged_within_its_proven_digits(tmp_path):
    # f(-1.33) = 2e57; f is proven to 120 bits, so its last digits (1e20) are not
    # an error of the partial sums, whose Lagrange bound is 0 at x = a
    rows, _ = _run(tmp_path, """
name: huge
function: sinh(sinh(3*x**2 - x)/3 + 3*x**2 - x)/3
at: {x: -1.33}
checks:
  taylor: {about: -1.33, order: 3, sums_at: [-1.33]}
""")
    sums = [r for r in rows if r.method == "partial_sum"]
    assert len(sums) == 4 and {r.status for r in sums} == {"pass"}
    assert all(r.abs_error <= r.tolerance <= 1e-30 * abs(r.exact) for r in sums)


def test_coefficients_beyond_float64_are_not_applied_not_errors(tmp_path):
    # sinh(3 x**2 - x)/3 at x = -15816: every coefficient is about e**(7.5e8)
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text('name: far\nfunction: "sinh(3*x**2 - x)/3"\nat: {x: -15816.137576144258}\n'
                    "checks: [taylor]\n")
    rows = run(path)
    coefficients = rows[rows.quantity.str.startswith("taylor[")]
    assert len(coefficients) == 6 and set(coefficients.status) == {"skip"}
    assert coefficients.message.str.contains("is beyond float64").all()
    assert "error" not in set(rows.status) and "fail" not in set(rows.status)


def test_a_figure_reaching_past_the_engines_limits_leaves_those_bounds_out(tmp_path):
    # the figure's grid reaches x = 1.9, where sin's argument exp(exp(x**4)) has
    # 5e5 bits: its band is left out there; the check's own rows are judged
    rows, artifacts = _run(tmp_path, """
        name: steep
        function: sin(exp(exp(x**4)))
        at: {x: 0.941}
        checks: [taylor]
    """)
    assert {r.status for r in rows} <= {"pass", "inconclusive", "skip"}, rows
    assert any(r.status == "pass" for r in rows)
    ((_, _, data),) = artifacts.figures
    bands = [b for n in data["orders"] for b in data["bound"][str(n)]]
    assert None in bands and any(b is not None and b > 0 for b in bands)
