"""Truncated power-series arithmetic: exact (Q[constants]) and interval kinds."""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy
from mpmath import iv

from verify.input.expressions import parse, symbol
from verify.exact.intervals import NotSmooth, ends_of
from verify.exact.series import Interval, NoRule, NotAnalytic, Record, Ring, expand

X = symbol("x")


def exact(text, about, order):
    record = Record()
    expr, a = parse(text), sympy.sympify(about)
    expand(expr, X, record.number(a), 0, record)
    ring = Ring(record)
    elements = expand(expr, X, ring.number(a), order, ring)
    return [e.as_expr().xreplace(ring.atoms) for e in elements], ring


def test_rational_points_need_no_generators():
    values, ring = exact("exp(sin(x))", 0, 6)
    assert values == [1, 1, sympy.Rational(1, 2), 0, sympy.Rational(-1, 8), sympy.Rational(-1, 15),
                      sympy.Rational(-1, 240)]
    assert ring.atoms == {}


def test_constants_become_generators():
    values, ring = exact("exp(sin(x))", 1, 1)
    assert set(ring.atoms.values()) == {sympy.sin(1), sympy.cos(1), sympy.exp(sympy.sin(1))}
    assert values[1] == sympy.exp(sympy.sin(1)) * sympy.cos(1)


@pytest.mark.parametrize("text, expected", [
    ("sqrt(1 + x)", [1, sympy.Rational(1, 2), sympy.Rational(-1, 8), sympy.Rational(1, 16)]),
    ("(1 + x)**(-2)", [1, -2, 3, -4]),
    ("Max(x, 1 - x)", [1, 1, 0, 0]),        # about 1: x is the larger
    ("Min(x, 1 - x)", [0, -1, 0, 0]),
    ("abs(x - 2)", [1, -1, 0, 0]),
    ("cosh(x)", [sympy.cosh(1), sympy.sinh(1), sympy.cosh(1) / 2, sympy.sinh(1) / 6]),
])
def test_rules(text, expected):
    about = 0 if text.startswith(("sqrt", "(1")) else 1
    values, _ = exact(text, about, 3)
    assert [sympy.simplify(v - e) for v, e in zip(values, expected)] == [0, 0, 0, 0]


def test_data_sums_have_no_rule():
    expr = parse("sum(y*x)", data={"rows": 2})
    with pytest.raises(NoRule):
        expand(expr, X, 0, 2, Record())


def test_kinks_and_poles_at_the_point_are_not_analytic():
    with pytest.raises(NotAnalytic, match="kink"):
        exact("abs(x)", 0, 2)
    with pytest.raises(NotAnalytic, match="pole"):
        exact("1/sin(x)", 0, 2)


def test_intervals_enclose_the_coefficients_at_every_point():
    iv.dps = 30
    try:
        lo, hi = mpmath.mpf("0.2"), mpmath.mpf("0.6")
        series = expand(parse("exp(sin(x))/(2 + x)"), X, iv.mpf([lo, hi]), 8, Interval())
    finally:
        iv.dps = 15
    for xi in (0.2, 0.35, 0.6):
        reference, _ = exact("exp(sin(x))/(2 + x)", sympy.Rational(str(xi)), 8)
        for k, c in enumerate(series):
            low, high = ends_of(c)
            assert low <= sympy.N(reference[k], 30) <= high


def test_intervals_refuse_kinks_and_poles_inside():
    iv.dps = 30
    try:
        with pytest.raises(NotSmooth):
            expand(parse("abs(x)"), X, iv.mpf([-1, 1]), 2, Interval())
        with pytest.raises(NotSmooth):
            expand(parse("tan(x)"), X, iv.mpf([1, 2]), 2, Interval())
    finally:
        iv.dps = 15


def test_order_twenty_matches_composing_polynomials():
    values, _ = exact("exp(sin(x))", 0, 20)
    # independently: exp(s) = sum s^m/m! with s the degree-19 sine polynomial, truncated
    t = sympy.Symbol("t")
    sine = sum(sympy.Rational((-1) ** (k // 2), math.factorial(k)) * t ** k for k in range(1, 21, 2))
    total, power = sympy.Integer(0), sympy.Integer(1)
    for m in range(21):
        total += power / math.factorial(m)
        power = sympy.expand(power * sine)
        power = sum(power.coeff(t, k) * t ** k for k in range(21))
    assert values == [sympy.expand(total).coeff(t, k) for k in range(21)]
    assert values[20] * math.factorial(20) == 20058390573
