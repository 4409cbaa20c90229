"""The radius of convergence: singularities found, removable ones dropped, estimates."""
from __future__ import annotations

import math

import mpmath
import pytest

from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.exact.singularities import radius_of_convergence
from verify.exact.taylor import exact_coefficients
from verify.input.values import parse_value


def engine(text):
    return ExactFunction(parse(text), ("x",))


@pytest.mark.parametrize("text, about, radius", [
    ("1/(1 + 25*x**2)", 0.0, 0.2), ("tan(x)", 0.0, math.pi / 2), ("tan(x)", 1.0, math.pi / 2 - 1),
    ("log(1 + x)", 0.0, 1.0), ("1/(1 - x)", 0.0, 1.0), ("atan(x)", 2.0, math.sqrt(5)),
    ("asin(x)", 0.5, 0.5), ("tanh(x)", 0.0, math.pi / 2), ("sqrt(x)", 4.0, 4.0),
    ("x**pi", 1.0, 1.0), ("abs(x - 1)", -1.0, 2.0),
])
def test_radius_of_known_functions(text, about, radius):
    found = radius_of_convergence(engine(text), about)
    assert found.value == pytest.approx(radius, rel=1e-9)
    assert "SymPy/mpmath roots" in found.how


@pytest.mark.parametrize("text", ["exp(x)", "exp(sin(x))", "x**4 - 3*x**3 + 2", "sin(x)/x",
                                  "(x**2 - 1)/(x - 1)"])
def test_entire_functions_and_removable_singularities_have_infinite_radius(text):
    found = radius_of_convergence(engine(text), 0.5)
    assert found.value == math.inf
    assert found.describe().startswith("infinite")


def test_radius_is_estimated_where_sympy_cannot_solve():
    function = engine("1/(2 + sin(x))")  # sin(z) = -2 at -pi/2 +- i acosh(2)
    found = radius_of_convergence(
        function, 0.0, lambda: exact_coefficients(function, parse_value("0"), 30).values)
    assert "estimated" in found.how and found.exact is None
    assert found.value == pytest.approx(math.hypot(math.pi / 2, math.acosh(2)), rel=0.1)


@pytest.mark.parametrize("text, about, radius", [
    ("sigmoid(x)", "0", "pi"), ("softplus(x)", "0", "pi"), ("sigmoid(x)", "1", "sqrt(1 + pi**2)"),
    ("1/(exp(x) - 2)", "0", "log(2)"), ("tanh(x)", "0", "pi/2"), ("1/(1 + exp(2*x) + exp(x))", "0",
                                                                  "2*pi/3"),
])
def test_radius_from_exponential_roots_is_exact(text, about, radius):
    # issue 10 item 12: sigmoid about 0 was "3.1909 estimated"; it is pi exactly
    found = radius_of_convergence(engine(text), mpmath.mpf(about))
    assert "estimated" not in found.how and "upper bound" not in found.how
    expected = parse_value(radius).mp(60)
    assert abs(found.exact - expected) < mpmath.mpf(10) ** -40


def test_points_outside_the_radius_are_flagged():
    found = radius_of_convergence(engine("1/(1 + 25*x**2)"), 0.0)
    assert found.outside(0.3) and not found.outside(0.1) and not found.outside(0.2)
    assert found.describe() == "0.2 (nearest singularities 0.2i, -0.2i), from SymPy/mpmath roots"
