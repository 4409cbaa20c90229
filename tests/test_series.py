"""Truncated power-series arithmetic: exact (Q[constants]) and interval kinds."""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy
from mpmath import iv

from verify.input.expressions import parse, symbol
from verify.input.values import parse_value
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


HELD_FUNCTIONS = [
    "log(exp(x*y + z) + exp(2*x - y)) - y*x",
    "sin(x*y)**2 * sqrt(1 + z**2 + x**2) / (3 + y)",
    "tanh(x + y*z) * atan(x - z) + exp(-(x - y)**2)",
]


@pytest.mark.parametrize("text", HELD_FUNCTIONS)
def test_held_variables_give_the_coefficients_of_the_substituted_expression(text):
    y, z = symbol("y"), symbol("z")
    values = {y: sympy.Rational(-3, 10), z: sympy.Rational(7, 4)}
    about, order = sympy.Rational(1, 5), 5
    expr = parse(text)
    substituted = expand(expr.xreplace(values), X, about, order, Record())
    record = Record()
    held = expand(expr, X, about, order, record, held=values)
    assert [sympy.N(c, 40) for c in held] == [sympy.N(c, 40) for c in substituted]
    # intervals and balls: the same enclosures as substituting first
    from verify.exact import balls
    from verify.exact.series import Ball
    saved, iv.dps = iv.dps, 30
    try:
        about_iv = iv.mpf(1) / 5
        in_intervals = expand(expr, X, about_iv, order, Interval(),
                              held={s: iv.mpf(int(v.p)) / int(v.q) for s, v in values.items()})
        substituted_iv = expand(expr.xreplace(values), X, about_iv, order, Interval())
        for a, b in zip(in_intervals, substituted_iv):
            (a_lo, a_hi), (b_lo, b_hi) = ends_of(a), ends_of(b)
            assert abs(a_lo - b_lo) + abs(a_hi - b_hi) < 1e-24 * max(1, abs(b_hi))
    finally:
        iv.dps = saved
    with balls.precision(30):
        about_ball = balls.exact_point(parse_value("0.2"))
        in_balls = expand(expr, X, about_ball, order, Ball(),
                          held={s: balls.arb(balls.fmpq(int(v.p), int(v.q)))
                                for s, v in values.items()})
    with balls.precision(45):
        for c, b in zip(substituted, in_balls):
            assert b.overlaps(balls.arb(str(sympy.N(c, 45)))) and b.rad() < 1e-25


def test_a_symbol_neither_moving_nor_held_has_no_rule():
    with pytest.raises(NoRule, match="z"):
        expand(parse("x*y + z"), X, sympy.Integer(1), 2, Record(), held={symbol("y"): 2})


def test_expansions_along_different_variables_share_the_constants_of_one_point():
    from verify.exact import balls
    from verify.exact.series import Ball
    expr = parse("log(exp(x*y) + exp(y - z) + exp(z*x))")
    y, z = symbol("y"), symbol("z")
    point = {X: parse_value("0.5"), y: parse_value("-1.25"), z: parse_value("2")}
    shared = {}
    with balls.precision(40):
        held = {s: balls.exact_point(v) for s, v in point.items()}
        for moving in (X, y, z):
            alone = expand(expr, moving, held[moving], 3, Ball(), held)
            together = expand(expr, moving, held[moving], 3, Ball(), held, shared)
            assert all(a.overlaps(b) and abs(a.mid() - b.mid()) < 1e-35
                       for a, b in zip(alone, together))
    # exp(y - z) is free of x: computed once, while expanding along x, and reused
    assert parse("exp(y - z)") in shared
