"""Higher derivatives (verify.exact.derivatives): enclosures hold the true values,
the routes are tried in order, and what no route decides is not guessed."""
import functools

import mpmath
import numpy as np
import pytest
import sympy

from verify.bounds import model as error_models
from verify.exact import derivatives
from verify.exact.symbolic import ExactFunction
from verify.input.data import Column
from verify.input.expressions import parse
from verify.input.values import parse_value

X = sympy.Symbol("x")
ROWS = (Column("c", ("1", "-1"), (1.0, -1.0)),)

# (case text, data, the same function written out for SymPy): balls, the interval
# series (a non-integer power has no ball rule) and SymPy (a sum over data rows)
FUNCTIONS = [
    ("sin(x)*exp(x)", (), "sin(x)*exp(x)"),
    ("tanh(x**2) + log(1 + x**2)", (), "tanh(x**2) + log(1 + x**2)"),
    ("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", (), "exp(x)/sqrt(sin(x)**3 + cos(x)**3)"),
    ("(2 + x)**(5/3) * atan(x)", (), "(2 + x)**(5/3) * atan(x)"),
    ("sum(sin(x - c)) + x**3", ROWS, "sin(x - 1) + sin(x + 1) + x**3"),
]


def engine(text, data=()):
    return ExactFunction(parse(text, data={"rows": 2} if data else None), ("x",), data)


def reference(text, m, x):
    """f^(m)(x) from SymPy's derivative, evaluated by mpmath at 50 digits."""
    with mpmath.workdps(50):
        return _reference_function(text, m)(mpmath.mpf(x))


@functools.lru_cache(maxsize=None)
def _reference_function(text, m):
    return sympy.lambdify(X, sympy.diff(sympy.sympify(text), X, m), "mpmath")


@pytest.mark.parametrize("text, data, written", FUNCTIONS)
@pytest.mark.parametrize("m", [2, 5])
def test_a_maximum_over_a_box_holds_the_derivative_everywhere_in_it(text, data, written, m):
    lo, hi = 0.3, 0.5
    top = derivatives.max_abs(engine(text, data), (m,), [(lo, hi)], [0.4])
    sampled = max(abs(reference(written, m, x)) for x in np.linspace(lo, hi, 9))
    assert sampled <= top * (1 + 1e-15)
    assert top < 100 * sampled  # an enclosure, not a blanket


@pytest.mark.parametrize("text, data, written", FUNCTIONS)
def test_values_at_a_point_are_the_exact_derivatives(text, data, written):
    found = derivatives.at_point(engine(text, data), (parse_value("0.7"),), 0, 7)
    for m, value in enumerate(found):
        exact = reference(written, m, "0.7")
        assert value is not None
        with mpmath.workdps(50):
            # to the last float64 digit at least (the model reads them as floats)
            assert abs(value - exact) <= 2.0 ** -52 * abs(exact), (m, value, exact)


@pytest.mark.parametrize("text, data, written", FUNCTIONS)
def test_taylor_coefficient_enclosures_hold_on_each_piece(text, data, written):
    """|f^(m)(xi)| / m! for xi in each piece; for a data sum the SymPy route (it
    raised a NameError before)."""
    edges = [mpmath.mpf(e) for e in (0.2, 0.35, 0.5)]
    pieces = derivatives.coefficient_enclosures(engine(text, data), edges, 5)
    for (lo, hi), tops in zip(zip(edges[:-1], edges[1:]), pieces):
        for m, top in enumerate(tops):
            sampled = max(abs(reference(written, m, x)) for x in np.linspace(lo, hi, 5))
            assert sampled / mpmath.factorial(m) <= top * (1 + 1e-15) < 100 * sampled + 1e-300


def test_a_power_without_a_ball_rule_falls_to_the_interval_series(monkeypatch):
    from verify.exact import balls, series
    function = engine("exp(x)/sqrt(sin(x)**3 + cos(x)**3)")
    x = function.symbols[0]
    assert derivatives.ball_max_abs(function.expression, x, (1.4, 1.6), 4) is not None
    ball_rule = series.Ball.apply

    def without_powers(self, name, u0, key):  # as if balls had no rule for powers
        if isinstance(name, tuple):
            raise balls.NoBall("no ball rule for powers")
        return ball_rule(self, name, u0, key)
    monkeypatch.setattr(series.Ball, "apply", without_powers)
    assert derivatives.ball_max_abs(function.expression, x, (1.4, 1.6), 4) is None
    assert derivatives._by_balls(function.expression, x, parse_value("1.5"), 4) is None
    monkeypatch.setattr(ExactFunction, "derivative",
                        lambda *a: pytest.fail("the SymPy derivative was formed"))
    top = derivatives.max_abs(function, (4,), [(1.4, 1.6)], [1.5])
    assert abs(reference("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", 4, 1.6)) <= top
    values = derivatives.at_point(function, (parse_value("1.5"),), 0, 4)
    assert all(v is not None for v in values)


def test_a_data_sum_falls_to_sympy_derivatives():
    function = engine("sum(sin(x - c)) + x**3", ROWS)
    assert derivatives.series_max_abs(function, (3,), [(0.3, 0.5)], [0.4]) is None
    assert derivatives.along(function, (parse_value("0.4"),), 0) is None
    assert derivatives.max_abs(function, (3,), [(0.3, 0.5)], [0.4]) is not None


def test_a_wide_box_is_bounded_on_pieces_without_forming_the_sympy_derivative(monkeypatch):
    """Over the whole box the interval series of this sigmoid meets an edge;
    on pieces it holds. The maximum is still rigorous (above |f^(7)| at every
    sampled point), and SymPy's 7th derivative (minutes for nested functions)
    is never formed."""
    function = ExactFunction(parse("1/(exp(-x**4/2 - 3*x**2/2 + atan(x**4 - 3*x**3)) + 1)"),
                             ("x",))
    box, floats = [(1.028, 1.542)], [1.285]
    assert derivatives.series_max_abs(function, (7,), box, floats) is None
    f = function.compiled((0,)).mp
    monkeypatch.setattr(type(function), "derivative",
                        lambda *a: pytest.fail("the SymPy derivative was formed"))
    maximum = derivatives.max_abs(function, (7,), box, floats)
    with mpmath.workdps(30):
        sampled = max(abs(mpmath.diff(f, mpmath.mpf(x), 7)) for x in np.linspace(1.028, 1.542, 13))
    assert sampled <= maximum < 1e3 * sampled


def test_what_no_route_tells_from_zero_is_not_guessed():
    """sin(x - 1) + sin(x + 1) at 0 over data rows: the even derivatives are 0,
    but no enclosure shows it (SymPy does not simplify the sum to 0); the old
    numerical-differentiation fallback called them 0 by a threshold. No claim
    is made, so the model of forward differences (led by f'') is unsure."""
    function = engine("sum(sin(x - c))", ROWS)
    found = derivatives.at_point(function, (parse_value("0"),), 0, 5)
    assert found[0] is None and found[2] is None and found[4] is None
    assert float(found[1]) == pytest.approx(2 * np.cos(1), rel=1e-15)
    assert float(found[3]) == pytest.approx(-2 * np.cos(1), rel=1e-15)
    model = error_models.error_model("forward", found, value_error=1e-16, unit_roundoff=2.0 ** -53)
    assert "order 2" in model.unsure and model.truncation == 0


def test_a_tiny_derivative_is_not_called_zero():
    """2e-20 beside values of order 1: the numerical fallback's threshold called
    it 0; interval arithmetic on its SymPy derivative proves it nonzero."""
    function = engine("sum(sin(x - c)) + 1e-20*x**2", ROWS)
    found = derivatives.at_point(function, (parse_value("0"),), 0, 3)
    assert float(found[2]) == pytest.approx(2e-20, rel=1e-15)


def test_balls_call_zero_only_what_is_zero():
    square = derivatives.at_point(engine("x**2"), (parse_value("3"),), 0, 4)
    assert [float(d) for d in square] == [9.0, 6.0, 2.0, 0.0, 0.0]
    assert square[3] == 0 and square[4] == 0
    # f = 1 + 1e-28-sized terms: numerical differentiation called every derivative zero
    tiny = derivatives.at_point(engine("3*exp(-(2*x**3 + x)**2)**3 + 1"),
                                (parse_value("-1.2"),), 0, 6)
    assert all(d != 0 and d is not None for d in tiny[1:])
    assert 1e-30 < abs(float(tiny[1])) < 1e-20
    # huge values: f'' is not zero beside f^(11) ~ 1e180
    big = derivatives.at_point(engine("exp(exp(x**2 + 3*x**3))"), (parse_value("1.33"),), 0, 11)
    assert all(d not in (0, None) for d in big)
