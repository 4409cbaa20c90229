"""Compiled functions (verify.exact.compiled): no dummies unless a name could shadow the code's."""
import math

import mpmath

from verify.exact.compiled import Compiled, needs_dummies
from verify.input.expressions import parse, symbol


def test_plain_names_are_not_dummified_and_shadowing_ones_are():
    assert not needs_dummies((symbol("x"), symbol("w1")))
    for name in ("exp", "numpy", "sin", "pi", "select", "_x", "mpmath"):
        assert needs_dummies((symbol(name),)), name


def test_a_variable_named_like_a_function_still_computes_the_right_value():
    expr = (
        symbol("exp") * parse("sin(x)").subs(symbol("x"), symbol("exp")) + symbol("numpy") ** 2)
    compiled = Compiled(expr, ("exp", "numpy"))
    assert compiled.numpy(0.5, 2.0) == math.sin(0.5) * 0.5 + 4.0
    with mpmath.workdps(30):
        assert abs(compiled.mp(mpmath.mpf("0.5"), mpmath.mpf(2)) - (mpmath.sin(0.5) * 0.5 + 4)) \
            < mpmath.mpf(10) ** -28
