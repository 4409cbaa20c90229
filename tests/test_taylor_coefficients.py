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
