import math

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from verify.bounds.predicted import partial_bound
from verify.bounds.tangent_rounding import (NoTangentRule, _second_derivative,
                                            tangent_running_error)
from verify.checks.common import numeric_function
from verify.core.functions import PRIMITIVES
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.input.values import parse_value
from verify.numeric.differences import derivative

U = 2.0 ** -53


def test_the_tangent_of_a_product_and_its_rounding():
    # d(x*x) = x + x: two products of two factors, each rounded once, and the
    # inputs' own unit each, weighted by the other factor
    d, error = tangent_running_error(parse("x*x"), ("x",), [3.0], 0, U)
    assert d == 6.0
    assert error == pytest.approx(2 * U * 3.0 * 1.0 + 2 * U * 6.0)


def test_variables_held_have_no_tangent():
    d, error = tangent_running_error(parse("x*y + y"), ("x", "y"), [2.0, 5.0], 1, U)
    assert d == 3.0 and error > 0
    d, _ = tangent_running_error(parse("x*y + y"), ("x", "y"), [2.0, 5.0], 0, U)
    assert d == 5.0


@pytest.mark.parametrize("primitive", PRIMITIVES, ids=lambda p: p.name)
def test_second_derivatives_come_from_the_registrys_first(primitive):
    t = {"acosh": 1.7, "log": 1.3}.get(primitive.name, 0.3)
    with mpmath.workdps(30):
        exact = mpmath.diff(primitive.mpmath, t, 2)
    assert float(_second_derivative(primitive.name)(t)) == pytest.approx(float(exact), rel=1e-12)


def test_the_second_derivative_of_tanh_does_not_cancel_where_tanh_is_one():
    # SymPy's 1 - tanh(t)**2 is 0 in float64 at t = 25; -2 sinh / cosh**3 is not
    exact = float(-2 * mpmath.sinh(25) / mpmath.cosh(25) ** 3)
    assert _second_derivative("tanh")(25.0) == pytest.approx(exact, rel=1e-13)


def test_the_second_derivative_of_tanh_is_finite_where_sinh_and_cosh_overflow():
    assert _second_derivative("tanh")(400.0) == 0.0


def test_tanh_of_a_large_argument_has_a_finite_tangent_bound():
    # tanh(3 x**3) at 5: the argument is 375, where sinh and cosh overflow
    d, error = tangent_running_error(parse("tanh(3*x**3)"), ("x",), [5.0], 0, U)
    # sech(375)**2 = 4e-326 underflows to 0: the bound allows the smallest normal
    # number times the argument's tangent, and nothing more
    assert d == 0.0 and 0 < error <= 2.0 ** -1022 * 225 * (1 + 1e-12)


def test_data_sums_add_the_rows_tangents():
    from verify.input.data import Column
    column = Column("x", ("1", "2", "3"), (1.0, 2.0, 3.0))
    d, error = tangent_running_error(parse("sum(w*x)", data={"rows": 3}), ("w",), [2.0], 0, U,
                                     (column,))
    assert d == 6.0 and 0 < error < 1e-14


def test_a_switch_has_no_tangent_rule():
    with pytest.raises(NoTangentRule):
        tangent_running_error(parse("abs(x)"), ("x",), [1.0], 0, U)


# Analytic trees with arguments scaled to reach the saturated ends of tanh, the
# large values of exp and cancellation in sums: where the complex step's error
# is largest relative to f'
_UNARY = ["sin({})", "cos({})", "atan({})", "tanh({})", "tanh(8*({}))", "exp({})", "erf({})",
          "log(1 + ({})**2)", "sqrt(1 + ({})**2)", "sigmoid(6*({}))", "asinh({})",
          "sinh(tanh({}))", "cosh(tanh({}))", "tan(tanh({}))", "({})**2", "({})**3",
          "1/(2 + ({})**2)"]
_BINARY = ["({}) + ({})", "({}) - ({})", "({})*({})", "({})/(2 + ({})**2)"]
_TREES = st.recursive(
    st.sampled_from(["x", "x", "x", "2", "0.5"]),
    lambda inner: st.one_of(
        st.builds(lambda f, a: f.format(a), st.sampled_from(_UNARY), inner),
        st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(_BINARY), inner, inner)),
    max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TREES, st.integers(-40, 40))
def test_the_complex_step_is_within_its_bound_on_random_functions(text, k):
    expr = parse(text)
    assume(expr.free_symbols)
    engine = ExactFunction(expr, ("x",))
    at = [parse_value(repr(k / 16))]
    try:
        exact = engine.value((1,), at)
    except (ArithmeticError, ValueError):
        assume(False)
    assume(mpmath.isfinite(exact) and abs(exact) > 1e-290)
    d = derivative(numeric_function(engine), at[0].float64, method="complex_step")
    assume(d.ok)
    bound = partial_bound(engine, at, d, 0, unit_roundoff=U)
    assert math.isfinite(bound.total)
    assert abs(d.value - float(exact)) <= bound.total, (text, k / 16, float(exact), bound)
    # and the bound is informative: far below |f'| (a vacuous bound passes anything)
    assert bound.total < 1e-9 * abs(float(exact)) or not np.isfinite(float(exact))


def test_all_partials_in_one_walk_are_each_partials_own_numbers():
    from verify.bounds.tangent_rounding import tangent_running_errors
    expr = parse("tanh(3*x + y)**2 - log(1 + x**2*y**2) + z*exp(x)")
    point = [1.1, 0.4, -0.3]
    tangents, errors = tangent_running_errors(expr, ("x", "y", "z"), point, U)
    for i in range(3):
        assert (tangents[i], errors[i]) == tangent_running_error(expr, ("x", "y", "z"), point,
                                                                 i, U)


@pytest.mark.parametrize("text, x", [("atan(x)", 1e93), ("log(x)", 1e-202), ("asinh(x) + x", 2e200)])
def test_an_overflow_in_a_second_derivative_is_inf_not_an_exception(text, x):
    # f'' of atan at 1e93 squares x: as Python floats that raised OverflowError
    d, error = tangent_running_error(parse(text), ("x",), [x], 0, U)
    assert not math.isnan(error)


def test_a_point_outside_the_domain_is_reported_before_any_stencil_is_tried(tmp_path):
    from verify.checks.case import run_case
    from verify.core.run_options import RunOptions
    from verify.runner import load
    path = tmp_path / "c.yaml"
    path.write_text("cases:\n  - name: c\n    function: log(x)*tanh(exp(sin(x**2)))*atan(exp(x))\n"
                    "    at: {x: -1}\n    checks: {derivative: {order: 10, methods: [central]}}\n")
    case = load([path], RunOptions(timeout=0)).cases[0]
    rows = run_case(case, RunOptions(timeout=0)).results
    assert [r.status for r in rows] == ["error"] and "not defined at x=-1" in rows[0].message


@pytest.mark.parametrize("text, exponent, x", [("x**(1/3)", 1 / 3, 1e300), ("x**1.5", 1.5, 1e150)])
def test_a_complex_power_is_charged_its_logarithm(text, exponent, x):
    # NumPy's complex power is exp(p log z): its error grows like |p log x| units
    d, error = tangent_running_error(parse(text), ("x",), [x], 0, U)
    h = 1e-20 * x
    step = (np.complex128(complex(x, h)) ** exponent).imag / h
    with mpmath.workdps(40):
        exact = mpmath.mpf(exponent) * mpmath.mpf(x) ** (mpmath.mpf(exponent) - 1)
        assert abs(step - exact) <= error


def test_a_switch_falls_back_to_the_formed_derivatives_running_error():
    from verify.bounds.rounding import running_error
    from verify.bounds.tangent_rounding import first_partial_rounding
    from verify.exact.symbolic import ExactFunction
    engine = ExactFunction(parse("abs(x)*sin(x)"), ("x",))
    formula = running_error(engine.derivative((1,)), ("x",), np.array([[0.7]]), U)[1][0]
    assert first_partial_rounding(engine, [0.7], 0, U) == formula
    smooth = ExactFunction(parse("x*x"), ("x",))
    assert first_partial_rounding(smooth, [3.0], 0, U) == tangent_running_error(
        smooth.expression, ("x",), [3.0], 0, U)[1]


@pytest.mark.parametrize("x", [-615.789, -300.5])
def test_a_reciprocal_of_a_huge_number_keeps_its_tangent(x):
    # 1/(1 + exp(-x)): a = 2.7e267 at -615.789, a**-2 is 0 in float64, the tangent
    # -a'/a**2 = 3.7e-268 is not; taken as ratios it is kept, and so is its bound
    from verify.bounds.tangent_rounding import tangent_running_error
    text = "1/(1 + exp(-x))"
    d, error = tangent_running_error(parse(text), ("x",), [x], 0, U)
    with mpmath.workdps(40):
        exact = mpmath.exp(-mpmath.mpf(x)) / (1 + mpmath.exp(-mpmath.mpf(x))) ** 2
    assert abs(d - float(exact)) <= 1e-12 * float(exact)
    engine = ExactFunction(parse(text), ("x",))
    computed = derivative(numeric_function(engine), x, method="complex_step").value
    assert 0 < abs(computed - float(exact)) <= error + U * abs(computed) or computed == float(exact)


def test_the_complex_step_far_out_on_a_sigmoid_and_below_its_step_is_never_failed(tmp_path):
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text("cases:\n"
                    "  - {name: sigmoid_far, function: 1/(1+exp(-x)), at: {x: -615.789},\n"
                    "     checks: {derivative: {methods: [complex_step]}}}\n"
                    "  - {name: below_h, function: x**7, at: {x: 8e-36},\n"
                    "     checks: {derivative: {methods: [complex_step]}}}\n")
    rows = run(path).set_index("case")
    assert rows.loc["sigmoid_far", "status"] == "pass"
    # the h**6 term (1e-120) rules, not f'''(x) h**2 (1e-180): the bound over the
    # segment to x + ih says so, and no value can be told right below it
    assert rows.loc["below_h", "status"] == "inconclusive"
    assert rows.loc["below_h", "bound_kind"] == "rigorous"


def test_the_third_derivative_over_the_complex_segment_holds_every_point_of_it():
    from verify.bounds.predicted import _segment_maximum
    engine = ExactFunction(parse("exp(sin(x)) * atan(x) + x**7"), ("x",))
    x, h = 0.3, 1e-3
    top = _segment_maximum(engine, [x], 0, h)
    with mpmath.workdps(30):
        def f(z):
            return mpmath.exp(mpmath.sin(z)) * mpmath.atan(z) + z ** 7
        samples = [abs(mpmath.diff(f, mpmath.mpc(x, h * k / 20), 3)) for k in range(21)]
    assert max(samples) <= top <= 1.5 * max(samples)
    # a branch cut in reach: no claim, so the bound falls back to f''' at the point
    assert _segment_maximum(ExactFunction(parse("log(x)"), ("x",)), [-1e-30], 0, 1e-20) is None
