"""Numeric Taylor coefficients (verify.numeric.taylor_coefficients): within their bounds."""
from __future__ import annotations

import pytest

from verify.exact.singularities import radius_of_convergence
from verify.exact.symbolic import ExactFunction
from verify.exact.taylor import exact_coefficients
from verify.input.expressions import parse
from verify.input.values import parse_value
from verify.numeric.taylor_coefficients import numeric_coefficients


def engine(text):
    return ExactFunction(parse(text), ("x",))


@pytest.mark.parametrize("text, about, order", [
    ("exp(x)", 0.0, 20), ("tan(x)", 0.0, 20), ("1/(1 + 25*x**2)", 0.0, 20),
    ("log(1 + x)", 0.0, 12), ("exp(sin(x))", 1.0, 20), ("abs(x)", 1.0, 4),
])
def test_numeric_coefficients_are_within_their_bounds(text, about, order):
    function = engine(text)
    exact = exact_coefficients(function, parse_value(repr(about)), order).values
    radius = radius_of_convergence(function, about).value
    found = numeric_coefficients(function, about, order, radius)
    assert len(found) == order + 1
    for k, c in enumerate(found):
        error = abs(c.value - float(exact[k]))
        assert error <= c.bound, (k, error, c.bound)
        # a bound, not a blanket: within 1e5 of the actual error or of one ulp
        assert c.bound < 1e5 * max(error, 1e-16 * abs(float(exact[k])), 1e-300)


def test_numeric_route_for_functions_with_kinks_is_mpmath_taylor():
    found = numeric_coefficients(engine("abs(x)"), -2.0, 3, 2.0)
    assert [c.method for c in found] == ["mpmath_taylor"] * 4
    assert [c.value for c in found] == pytest.approx([2.0, -1.0, 0.0, 0.0], abs=1e-14)


@pytest.mark.parametrize("text, about", [
    ("abs(x)*exp(-x**2)", 10.0),  # c_k about 1e-43
    ("Max(x, -800)*exp(x)", -731.0),  # x e^x there: c_k about 1e-315, below normal floats
])
def test_tiny_coefficients_by_mpmath_taylor_are_not_chopped_to_0(text, about):
    # mpmath.taylor sets terms below its tolerance (1e-30 at 30 digits) to 0 by default
    function = engine(text)
    exact = exact_coefficients(function, parse_value(repr(about)), 3).values
    found = numeric_coefficients(function, about, 3, 1.0)
    assert [c.method for c in found] == ["mpmath_taylor"] * 4
    for k, c in enumerate(found):
        assert c.value != 0 and c.value == pytest.approx(float(exact[k]), rel=1e-6)
        assert abs(c.value - float(exact[k])) <= c.bound
