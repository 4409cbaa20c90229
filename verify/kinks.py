"""Where the mathematics breaks: points outside the domain, poles, kinks.

A kink is a point where ``abs``, ``relu``/``Max`` or ``Min`` switches
branch: the function is continuous there but not differentiable, so no
derivative there is right or wrong. We say so, and give the one-sided
derivatives (limits from the left and the right, taken at 1e-30 away
with 60 digits).
"""
from __future__ import annotations

import mpmath
import sympy

from .exact import complex_piece, evaluate_safely
from .expressions import DataSum
from .functions import SWITCH_CLASSES

SIDE_STEP = mpmath.mpf("1e-30")
TIE = mpmath.mpf("1e-25")
_NON_SMOOTH = (*SWITCH_CLASSES, sympy.sign, sympy.Heaviside)


def is_analytic(expr) -> bool:
    """False when complex step cannot apply: abs, Max, Min (so relu) appear."""
    return not expr.has(*_NON_SMOOTH, sympy.Piecewise)


def kink_at(engine, point) -> str | None:
    """A message naming the kink at ``point`` with the one-sided derivatives, or None."""
    values = {s: p.exact for s, p in zip(engine.symbols, point)}
    found = None
    for piece in sorted(engine.expression.atoms(*_NON_SMOOTH), key=sympy.default_sort_key):
        if piece.has(DataSum) or any(isinstance(a, DataSum) for a in piece.args):
            continue
        if _at_switch(piece, values):
            found = piece
            break
    if found is None:
        return None
    where = ", ".join(f"{v}={p.text}" for v, p in zip(engine.variables, point))
    sides = "; ".join(_one_sided(engine, point, i) for i in range(len(engine.variables)))
    return (f"{where} is a kink of {_show(found)} (not differentiable there); "
            f"one-sided derivatives: {sides}")


def _at_switch(piece, values) -> bool:
    try:
        # substitute exactly, then evaluate: evalf(subs=) may build Max(sin(1), 0.e-172),
        # which SymPy refuses as "not comparable"
        args = [a.xreplace(values).evalf(40) for a in piece.args]
        numbers = [mpmath.mpf(sympy.re(a).evalf(40)) for a in args]
    except (TypeError, ValueError):
        return False
    if isinstance(piece, (sympy.Abs, sympy.sign, sympy.Heaviside)):
        return abs(numbers[0]) <= TIE
    ranked = sorted(numbers, reverse=isinstance(piece, sympy.Max))
    scale = max(1, abs(ranked[0]))
    return abs(ranked[0] - ranked[1]) <= TIE * scale


def _one_sided(engine, point, index) -> str:
    orders = tuple(1 if k == index else 0 for k in range(len(point)))
    name = engine.variables[index]
    sides = []
    with mpmath.workdps(60):
        for sign in (-1, 1):
            shifted = [p.mp(60) for p in point]
            shifted[index] += sign * SIDE_STEP
            value, _ = evaluate_safely(engine, orders, shifted)
            sides.append("undefined" if value is None else mpmath.nstr(value, 12, min_fixed=-6))
    return f"d/d{name} = {sides[0]} (left), {sides[1]} (right)"


def _show(piece) -> str:
    if isinstance(piece, sympy.Max) and 0 in piece.args and len(piece.args) == 2:
        other = [a for a in piece.args if a != 0][0]
        return f"relu({other})"
    return str(piece).replace("Abs(", "abs(")


def point_problem(engine, point) -> str | None:
    """Why derivatives at ``point`` cannot be judged: domain, pole or kink; else None."""
    zero = tuple(0 for _ in engine.variables)
    _, reason = evaluate_safely(engine, zero, point)
    if reason:
        return reason
    return complex_piece(engine, point) or kink_at(engine, point)
