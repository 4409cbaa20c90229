import math

import mpmath
import numpy as np
import pytest
import sympy

from verify.input.expressions import parse, symbol
from verify.exact.intervals import NotSmooth, interval_max_abs


@pytest.mark.parametrize("text, box", [
    ("exp(sin(x**2 + 1))", (0.4, 0.6)), ("tanh(x)*atan(x) + cosh(x) + erf(x)", (-1, 1)),
    ("asin(x) + acos(x/2) + sinh(x)", (-0.5, 0.5)), ("x**2.5 + sqrt(x) + log(x)", (0.5, 2)),
    ("1/(1 + 25*x**2)", (-1, 1)), ("sigmoid(x) + softplus(x)", (-2, 2)),
])
def test_interval_bound_encloses_sampled_values(text, box):
    expr = sympy.diff(parse(text), symbol("x"), 2)
    bound = interval_max_abs(expr, ["x"], [box])
    fn = sympy.lambdify(symbol("x"), expr, "mpmath")
    samples = [abs(fn(mpmath.mpf(t))) for t in np.linspace(*box, 201)]
    assert max(samples) <= bound
    assert bound < 10 * max(samples) + 1  # splitting wide boxes keeps it tight


@pytest.mark.parametrize("text, box", [
    ("log(x)", (-0.1, 1)), ("1/x", (-1, 1)), ("abs(x)", (-1, 1)), ("relu(x)", (-1, 1)),
    ("tan(x)", (1.5, 1.7)), ("asin(x)", (0.5, 1.2)), ("sqrt(x)", (-1, 1)),
])
def test_kinks_poles_and_domain_edges_are_refused(text, box):
    expr = sympy.diff(parse(text), symbol("x"), 1)
    with pytest.raises(NotSmooth):
        interval_max_abs(expr, ["x"], [box])


def test_kink_outside_the_box_is_fine():
    expr = sympy.diff(parse("relu(x)"), symbol("x"), 2)  # DiracDelta(x)
    assert interval_max_abs(expr, ["x"], [(1, 2)]) == 0
    assert interval_max_abs(sympy.diff(parse("abs(x)"), symbol("x")), ["x"], [(1, 2)]) == 1


def test_constants_are_enclosed():
    assert interval_max_abs(parse("pi*x"), ["x"], [(1, 1)]) >= math.pi


def test_excludes_zero_proves_a_sign_or_declines():
    from verify.exact.intervals import excludes_zero
    assert excludes_zero(parse("2*x + 1"), ("x",), [(0, 1)])
    assert excludes_zero(parse("cos(x)"), ("x",), [(-0.1, 0.1)])
    assert not excludes_zero(parse("sin(x)"), ("x",), [(-0.1, 0.1)])
    assert not excludes_zero(parse("cos(1000*x)"), ("x",), [(0, 0.1)])  # split, still crosses
    assert not excludes_zero(parse("log(x)"), ("x",), [(-1, 1)])  # no interval value: declined


def test_interval_rules_enclose_the_true_value_at_mpmaths_default_precision():
    # the monotone rules (tanh, atan, ...) and the constants once padded and read their
    # ends at float precision, so an "enclosure" of tanh(3/10) missed it by 4e-18
    import mpmath
    import sympy
    from mpmath import iv
    from verify.exact.intervals import _eval, ends_of
    u = sympy.Symbol("u")
    assert mpmath.mp.dps == 15
    saved, iv.dps = iv.dps, 30
    try:
        for expr in (sympy.tanh(u), sympy.atan(u), sympy.asinh(u), sympy.erf(u),
                     sympy.pi * u + sympy.Float("0.1", 30)):
            for point in ("0.3", "1.7", "-2.2"):
                lo, hi = ends_of(_eval(expr, {u: iv.mpf(point)}, (), {}))
                with mpmath.workdps(60):
                    true = sympy.lambdify(u, expr, "mpmath")(mpmath.mpf(point))
                    assert lo <= true <= hi, (expr, point)
    finally:
        iv.dps = saved


def test_an_interval_past_the_reducible_size_is_refused_at_once():
    # exp(-exp(3 x**2 - x)) at x = 14801: mpmath's interval exp would need log 2
    # to 9.5e8 bits; refused, the step guard leaves the stencil to the
    # finite-value test and the bounds say "no finite bound" (inconclusive)
    from verify.exact.compiled import ArgumentTooLarge
    from verify.input.expressions import parse
    with pytest.raises(ArgumentTooLarge, match="exp of a number of about 2\\*\\*9.48e\\+08"):
        interval_max_abs(parse("exp(-exp(3*x**2 - x))"), ("x",), [(14801.5, 14801.6)], (),
                         dps=20)


def test_a_hessian_at_such_a_point_ends_in_seconds_without_a_bound(tmp_path):
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text('name: far\nfunction: "sigmoid(exp(3*x**2 - x)) + 2*x**2 - x"\n'
                    "at: {x: 14801.53746789847}\nchecks: [hessian]\n")
    rows = run(path)  # before, the 120 s time limit stopped it
    assert set(rows.status) == {"inconclusive"}
