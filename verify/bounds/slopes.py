"""How large f' and f'' of one function node can be where its exact argument lies.

A running error analysis (:mod:`verify.bounds.tangent_rounding`) carries
first-order terms: f(a) errs by about |f'(a)| e_a when its argument errs by
e_a, and the tangent f'(a) da by |f''(a) da| e_a + |f'(a)| e_da. That holds
while e_a is small on the scale over which f' and f'' change. It fails where
the argument itself has drifted far: at x = 37505, ``fl(x**4)`` is 220 away
from x**4, so cos(x**4) may be anything in [-1, 1], and a tanh saturated at the
computed argument has f' = 0 there though the exact argument may lie near 0.
By the mean value theorem the terms hold, rigorously, with |f'| and |f''| at
their largest over [a - e_a, a + e_a]; :func:`sizes` takes those maxima, on
balls (python-flint's ``arb``), wherever e_a is past :data:`LOCAL_UP_TO`, and
keeps the values at ``a`` elsewhere, where the difference is of second order
and far below the unit roundoff terms. (A slope that underflows is a second
way to lose it: :func:`verify.bounds.rounding.lost_below_normal`.)
"""
from __future__ import annotations

import functools
import math

import numpy as np

from verify.exact import balls
from verify.input.expressions import symbol

# Past this error in its argument, relative to the argument's distance from
# where f' changes fastest (0 for a power, a domain edge such as log's 0, else
# 1), a node's f' and f'' are taken at their largest over the interval the
# exact argument lies in.
LOCAL_UP_TO = 1e-8

# max |f'| and max |f''| over the whole line, where they are finite: a ball
# over a wide interval is wider than the function's range (tanh's 1/cosh**2
# over [-20, 100] is unbounded on balls), so the smaller of the two is taken
_M = 1 + 1e-12
EVERYWHERE = {
    "sin": (1.0, 1.0), "cos": (1.0, 1.0),
    "tanh": (1.0, 4 / 3 ** 1.5 * _M),                # tanh'' at tanh = 1/sqrt(3)
    "atan": (1.0, 3 ** 1.5 / 8 * _M),                # atan'' at t = 1/sqrt(3)
    "asinh": (1.0, 2 / 3 ** 1.5 * _M),               # asinh'' at t = 1/sqrt(2)
    "erf": (2 / math.pi ** 0.5 * _M, (8 / (math.pi * math.e)) ** 0.5 * _M),  # t = 0, 1/sqrt(2)
}


def sizes(derivatives, a, ea, slope, curve, *, edges=None, limits=(math.inf, math.inf)):
    """(|f'|, |f''|) for the error terms of a node whose argument ``a`` errs by
    ``ea``: the values ``slope`` and ``curve`` at ``a`` where ``ea`` is within
    LOCAL_UP_TO times the distance from ``a`` to the nearest of ``edges``
    (finite points where f' changes fastest; none: 1), else their largest over
    [a - ea, a + ea] (inf where f' or f'' is not finite there), and never more
    than ``limits``, their largest anywhere (:data:`EVERYWHERE`).
    ``derivatives`` is (f', f'') as SymPy expressions in ``t``."""
    slope, curve = np.abs(slope), np.abs(curve)
    scale = 1.0
    if edges:
        scale = np.min([np.abs(np.asarray(a, dtype=float) - edge) for edge in edges], axis=0)
    far = np.asarray(ea > LOCAL_UP_TO * scale)
    if not far.any():
        return slope, curve
    slope, curve = np.array(slope, dtype=float), np.array(curve, dtype=float)
    points = np.broadcast_to(np.asarray(a, dtype=float), far.shape)
    errors = np.broadcast_to(np.asarray(ea, dtype=float), far.shape)
    wide_slope, wide_curve = np.broadcast_to(slope, far.shape).copy(), \
        np.broadcast_to(curve, far.shape).copy()
    for k in zip(*np.nonzero(far)) if far.ndim else [()]:
        wide_slope[k], wide_curve[k] = (
            max(min(_largest(d, points[k], errors[k]), limit), local[k])
            for d, local, limit in zip(derivatives, (wide_slope, wide_curve), limits))
    return wide_slope, wide_curve


def _largest(expression, a, ea) -> float:
    """An upper bound of |expression(t)| over [a - ea, a + ea]; inf where it
    is not finite, or not smooth, somewhere there."""
    if not (math.isfinite(a) and math.isfinite(ea)):
        return math.inf
    lo = np.nextafter(a - ea, -np.inf)
    hi = np.nextafter(a + ea, np.inf)
    try:
        ball = balls.evaluate(expression, {symbol("t"): balls.span(float(lo), float(hi))}, {})
        return float(balls.max_abs(ball)) * (1 + 2.0 ** -50)
    except (balls.NoBall, balls.BallNotSmooth, ArithmeticError, ValueError, TypeError):
        return math.inf


@functools.lru_cache(maxsize=None)
def edges_of(domain) -> tuple:
    """The finite ends of a registry primitive's ``domain``, where f' changes
    fastest (log's 0, atanh's -1 and 1)."""
    return tuple(end for end in domain if math.isfinite(end))


@functools.lru_cache(maxsize=None)
def power_derivatives(p) -> tuple:
    """(f', f'') of t**p, p a SymPy number."""
    t = symbol("t")
    return p * t ** (p - 1), p * (p - 1) * t ** (p - 2)
