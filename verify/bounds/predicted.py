"""The error bound theory predicts for a numerical derivative.

bound = SAFETY * (truncation + rounding) + representation, where

- truncation is C h^p max |f^(n+p)| over the stencil's interval (the Peano
  constant C of :mod:`verify.numeric.stencils`), with the maximum taken rigorously
  by interval arithmetic (``kind = "rigorous"``); where intervals cannot
  be used (no interval rule, too many data rows), the derivative's largest
  value at the stencil's nodes stands in (``kind = "leading term"``);
- rounding is sum |w_j| e_j / h^n, e_j the running error bound of f at
  node j (:mod:`verify.bounds.rounding`), plus the final sum's own rounding;
- representation is |g(x) - g(fl(x))|: the exact side is at the decimal
  point as written, the numeric side at its nearest float.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from mpmath import iv

from verify.exact.symbolic import DerivativeTooLarge
from verify.core.functions import complex_ulps
from verify.exact.intervals import NotSmooth, ends_of, interval_max_abs
from verify.bounds.rounding import running_error
from verify.core.tolerances import SAFETY
from verify.numeric.stencils import mixed_stencil, stencil



@dataclass(frozen=True)
class Bound:
    total: float
    truncation: float
    rounding: float
    representation: float
    kind: str  # "rigorous" or "leading term"

    def describe(self) -> str:
        return (f"bound {self.total:.3g} = {SAFETY:g} x (truncation {self.truncation:.3g} "
                f"[{self.kind}] + rounding {self.rounding:.3g}) + point {self.representation:.3g}")


def _orders(size, *pairs):
    orders = [0] * size
    for index, count in pairs:
        orders[index] += count
    return tuple(orders)


def _series_maximum(engine, orders, box, floats):
    """max |d^m f / dx_i^m| over the box by interval Taylor arithmetic, or None.

    The m-th Taylor coefficient about an interval encloses f^(m)(xi)/m! for
    every xi in it, without forming the m-th SymPy derivative (which for
    Squire and Trapp's function at m = 11 takes SymPy seconds).
    """
    from verify.exact.series import Interval, NoRule, NotAnalytic, expand
    moved = [i for i, k in enumerate(orders) if k]
    if len(moved) != 1 or engine.data:
        return None
    index, m = moved[0], orders[moved[0]]
    held = {s: sympy.Rational(floats[j]) for j, s in enumerate(engine.symbols) if j != index}
    expr = engine.expression.xreplace(held) if held else engine.expression
    lo, hi = box[index]
    pad = (abs(lo) + abs(hi)) * 1e-25
    fast = _ball_series(expr, engine.symbols[index], lo - pad, hi + pad, m)
    if fast is not None:
        return fast
    saved, iv.dps = iv.dps, 30
    try:
        pad = (abs(lo) + abs(hi)) * 1e-25
        coefficients = expand(expr, engine.symbols[index], iv.mpf([lo - pad, hi + pad]), m,
                              Interval())
        low, high = ends_of(coefficients[m])
    except (NotSmooth, NotAnalytic, NoRule, ZeroDivisionError, ValueError, TypeError,
            ArithmeticError):
        return None
    finally:
        iv.dps = saved
    if not (mpmath.isfinite(low) and mpmath.isfinite(high)):
        return None
    return float(max(abs(low), abs(high)) * mpmath.factorial(m))


def _ball_series(expr, symbol, lo, hi, m):
    """m! |c_m| of ``expr`` about the ball [lo, hi] on flint balls, or None
    when balls have no rule or meet an edge (the mpmath expansion decides)."""
    from verify.exact import balls
    from verify.exact.series import Ball, NoRule, NotAnalytic, expand
    try:
        with balls.precision(30):
            coefficient = expand(expr, symbol, balls.span(lo, hi), m, Ball())[m]
            top = balls.max_abs(coefficient * balls.arb.fac_ui(m))
    except (balls.NoBall, balls.BallNotSmooth, NotSmooth, NotAnalytic, NoRule,
            ZeroDivisionError, ValueError, TypeError, ArithmeticError):
        return None
    return float(top) if mpmath.isfinite(top) else None


SERIES_PIECES = 16  # a wide box's series maximum is retried on this many pieces


def _maximum(engine, orders, box, floats):
    """(max |d^orders f| over box, kind)."""
    through_series = _series_maximum(engine, orders, box, floats)
    if through_series is None and _series_maximum(engine, orders, _centre(box),
                                                  floats) is not None:
        # it holds at the centre (a rule exists, no edge there): the box was too wide
        through_series = _split_series_maximum(engine, orders, box, floats)
    if through_series is not None:
        return through_series, "rigorous"
    try:
        expr = engine.derivative(orders)
    except DerivativeTooLarge:  # no bound (inconclusive), not a crash of the check
        return float("inf"), "none (the derivative is too large to form)"
    try:
        return float(interval_max_abs(expr, engine.variables, box, engine.data)), "rigorous"
    except (NotSmooth, ValueError, TypeError):
        pass
    samples = []
    for corner in (0, 1):
        at = [lo if corner == 0 else hi for lo, hi in box]
        try:
            samples.append(abs(engine.value(orders, [mpmath.mpf(a) for a in at])))
        except (ArithmeticError, ValueError):
            pass
    try:
        samples.append(abs(engine.value(orders, floats)))
    except (ArithmeticError, ValueError):
        pass
    return (float(max(samples)) if samples else float("inf")), "leading term"


def _centre(box):
    return [((lo + hi) / 2, (lo + hi) / 2) for lo, hi in box]


def _split_series_maximum(engine, orders, box, floats, pieces=SERIES_PIECES, depth=3):
    """The largest series maximum over ``pieces`` pieces of the box's moving
    side (a piece without one split again, ``depth`` times), or None when a
    piece has none. Interval arithmetic overestimates on a wide box (a log or
    sqrt of an enclosure reaching below zero); on pieces it often holds, and
    the maximum over the union is the largest of the pieces' maxima:
    rigorous, and milliseconds where forming the m-th SymPy derivative of a
    nested function takes SymPy minutes."""
    moved = [i for i, k in enumerate(orders) if k]
    if depth == 0 or len(moved) != 1 or box[moved[0]][0] == box[moved[0]][1]:
        return None
    side = moved[0]
    lo, hi = box[side]
    cuts = [lo + (hi - lo) * k / pieces for k in range(pieces)] + [hi]
    largest = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        part = [*box[:side], (a, b), *box[side + 1:]]
        found = _series_maximum(engine, orders, part, floats)
        if found is None:
            found = _split_series_maximum(engine, orders, part, floats, 4, depth - 1)
        if found is None:
            return None
        largest = max(largest, found)
    return largest


def partial_bound(engine, point, difference, index, *, unit_roundoff, sides=None) -> Bound:
    """The bound on ``difference`` (a derivative by variable ``index``).

    ``sides`` (left, right) of a switch at the point (verify.bounds.kinks.Side): f is
    C^(m-1) there with a jump in f^(m), and the truncation bound takes the
    largest |f^(m)| of each piece over its half of the stencil (the Peano
    kernel form needs f^(m-1) absolutely continuous only).
    """
    floats = [p.float64 for p in point]
    size = len(floats)
    n, h = difference.order, difference.h
    if difference.method == "complex_step":
        third, kind = _maximum(engine, _orders(size, (index, 3)), [(x, x) for x in floats], floats)
        truncation = h * h * third / 6
        kind = "leading term"
        nodes = np.array([floats])
        _, errors = running_error(engine.derivative(_orders(size, (index, 1))), engine.variables,
                                  nodes, unit_roundoff, engine.data)
        rounding = float(errors[0]) + unit_roundoff * abs(difference.value)
        # a complex form may err by more than the one unit of a real libm function
        rounding *= complex_ulps(engine.expression)
    else:
        st = stencil(difference.method, n, difference.levels)
        m = n + st.accuracy
        lo, hi = st.span
        box = [(x, x) for x in floats]
        box[index] = (floats[index] + lo * h, floats[index] + hi * h)
        if sides is None:
            maximum, kind = _maximum(engine, _orders(size, (index, m)), box, floats)
        else:
            maximum, kind = _piecewise_maximum(sides, _orders(size, (index, m)), box, index,
                                               floats)
        truncation = _scaled(st.peano_constant, h, st.accuracy, maximum)
        nodes = np.repeat(np.array([floats]), len(st.nodes), axis=0)
        nodes[:, index] += st.nodes_array * h
        # adaptive Richardson sums two values per level, then combines the levels
        terms = 2 if difference.method == "richardson" and difference.levels > 1 else len(st.nodes)
        rounding = _stencil_rounding(engine, nodes, st.weights_array, terms, (h, n),
                                     difference.value, unit_roundoff)
    if sides is not None:
        # the nearest float lies on one side, where that side's piece is f
        engine = sides[0].piece if floats[index] < point[index].exact else sides[1].piece
    shift = representation(engine, _orders(size, (index, n)), point)
    return Bound(SAFETY * (truncation + rounding) + shift, truncation, rounding, shift, kind)


def _piecewise_maximum(sides, orders, box, index, floats):
    """max |f^(orders)| over box, from each side's piece over its half."""
    centre, (lo, hi) = floats[index], box[index]
    found, kinds = [], set()
    for side, half in ((sides[0], (lo, centre)), (sides[1], (centre, hi))):
        if half[1] <= half[0]:
            continue
        part = list(box)
        part[index] = half
        value, kind = _maximum(side.piece, orders, part, floats)
        found.append(value)
        kinds.add(kind)
    kind = "rigorous" if kinds == {"rigorous"} else "leading term"
    return (max(found) if found else 0.0), kind


def _scaled(constant, h, power, factor) -> float:
    """constant h^power factor, infinity where it overflows a float (a step of
    1e52 at x = 1e53: an infinite bound is inconclusive, not a crash)."""
    if factor == 0 or constant == 0:
        return 0.0
    return float(mpmath.mpf(constant) * mpmath.mpf(h) ** power * mpmath.mpf(factor))


def _stencil_rounding(engine, nodes, weights, terms, step, value, unit_roundoff) -> float:
    """Rounding of sum_j w_j f(node_j) / h^n (``step`` is (h, n)): each f value's
    running error bound, the weighted sum's own rounding (``terms`` additions,
    relative to sum |w f|, not to its small result), and the final division."""
    h, n = step
    values, errors = running_error(engine.expression, engine.variables, nodes, unit_roundoff,
                                   engine.data)
    magnitudes = np.abs(weights)
    summed = (terms + 1) * unit_roundoff * float(np.dot(magnitudes, np.abs(values)))
    return _scaled(float(np.dot(magnitudes, errors)) + summed, h, -n, 1.0) \
        + len(weights) * unit_roundoff * abs(value)


def mixed_bound(engine, point, difference, i, j, *, unit_roundoff) -> Bound:
    """The bound on a mixed partial d2f/dxi dxj from the tensor stencil."""
    floats = [p.float64 for p in point]
    size, h = len(floats), difference.h
    st = stencil(difference.method, 1)
    p = st.accuracy
    lo, hi = st.span
    box = [(x, x) for x in floats]
    box[i] = (floats[i] + lo * h, floats[i] + hi * h)
    box[j] = (floats[j] + lo * h, floats[j] + hi * h)
    first, kind1 = _maximum(engine, _orders(size, (i, p + 1), (j, 1)), box, floats)
    second, kind2 = _maximum(engine, _orders(size, (i, 1), (j, p + 1)), box, floats)
    if "rigorous" != kind1 or "rigorous" != kind2:
        # values at the box's corners say nothing of a pole inside it (1/(y - x) at
        # (0, 1e-4)): without an interval enclosure over the box there is no bound
        first = second = float("inf")
    spread = float(sum(abs(w * s) for s, w in zip(st.nodes, st.weights)))
    truncation = _scaled(st.peano_constant, h, p, first + spread * second)
    offsets, weights = mixed_stencil(difference.method)
    nodes = np.repeat(np.array([floats]), len(weights), axis=0)
    nodes[:, i] += offsets[:, 0] * h
    nodes[:, j] += offsets[:, 1] * h
    rounding = _stencil_rounding(engine, nodes, weights, len(weights), (h, 2), difference.value,
                                 unit_roundoff)
    target = _orders(size, (i, 1), (j, 1))
    shift = representation(engine, target, point)
    kind = "rigorous" if kind1 == kind2 == "rigorous" else "no enclosure over the box"
    return Bound(SAFETY * (truncation + rounding) + shift, truncation, rounding, shift, kind)


def representation(engine, orders, point) -> float:
    """|g(x as written) - g(nearest float of x)|, zero when x is a float."""
    floats = [p.float64 for p in point]
    if all(p.exact == sympy.Rational(f) for p, f in zip(point, floats)):
        return 0.0
    try:
        written = engine.value(orders, point)
        nearest = engine.value(orders, [mpmath.mpf(f) for f in floats])
    except (ArithmeticError, ValueError):
        return float("inf")
    return float(abs(written - nearest))

