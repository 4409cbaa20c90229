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

from dataclasses import dataclass, replace

import mpmath
import numpy as np
import sympy

from verify.exact import derivatives
from verify.exact.compiled import LimitReached
from verify.exact.symbolic import point_key
from verify.core.functions import complex_ulps
from verify.input.expressions import operations
from verify.bounds.model import method_model, rounding_term, truncation_term
from verify.bounds.rounding import running_error, smallest_subnormal
from verify.bounds.tangent_rounding import first_partial_rounding
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


def _maximum(engine, orders, box, floats):
    """(max |d^orders f| over box, kind): rigorous from :mod:`verify.exact.derivatives`,
    else the derivative's largest value at the box's corners and the point."""
    try:
        found = derivatives.max_abs(engine, orders, box, floats)
    except LimitReached:  # no bound (inconclusive), not a crash of the check
        return float("inf"), "none (past a limit of the exact engine)"
    if found is not None:
        return found, "rigorous"
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


def _segment_maximum(engine, floats, index, h) -> float | None:
    """max |f^(3)| over the segment from x to x + ih, or None where complex
    balls cannot tell. Im f(x + ih) / h - f'(x) is the imaginary part of
    (ih)^3 / (2h) times the integral of (1 - t)^2 f^(3)(x + ith) over [0, 1]
    (f, f' and f'' are real at x), so h^2 / 6 times this maximum bounds the
    complex step's truncation; f^(3) at x alone does not where |x| is below h
    (x**7 at 8e-36 with h = 1e-20: the h^6 term is 1e-120, the h^2 one 1e-180)."""
    from flint import acb
    from verify.exact import balls
    from verify.exact.series import ComplexBall, NoRule, NotAnalytic, expand
    symbols = engine.symbols
    try:
        with balls.precision(30):
            segment = acb(balls.to_arb(floats[index]), balls.span(0.0, h))
            held = {s: acb(balls.to_arb(v)) for j, (s, v) in enumerate(zip(symbols, floats))
                    if j != index}
            third = expand(engine.expression, symbols[index], segment, 3, ComplexBall(),
                           held)[3] * 6
            if not third.is_finite():
                return None
            return float(balls.max_abs(abs(third)))
    except (balls.NoBall, balls.BallNotSmooth, NoRule, NotAnalytic, ArithmeticError,
            ValueError, TypeError):
        return None


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
    model = method_model(difference.method, n, difference.levels)
    orders = _orders(size, (index, model.derivative))
    box = [(x, x) for x in floats]
    if model.rounding_power == 0:  # complex step: no stencil; f^(3) over the segment to x + ih
        maximum, kind = _segment_maximum(engine, floats, index, h), "rigorous"
        if maximum is None:
            maximum, kind = _maximum(engine, orders, box, floats)[0], "leading term"
        tangent_error = first_partial_rounding(engine, floats, index, unit_roundoff)
        # a complex form may err by more than the one unit of a real libm function;
        # Im f(x + ih) is about h f'(x), subnormal when f' is near 1e-300: each of
        # the (up to four real) operations of a complex one may then lose an
        # absolute smallest subnormal, which the division by h magnifies
        underflow = 4 * operations(engine.expression) * smallest_subnormal(unit_roundoff) / h
        rounding = (rounding_term(model, h, tangent_error + unit_roundoff * abs(difference.value))
                    + underflow) * complex_ulps(engine.expression)
    else:
        lo, hi = model.span
        box[index] = (floats[index] + lo * h, floats[index] + hi * h)
        if sides is None:
            maximum, kind = _maximum(engine, orders, box, floats)
        else:
            maximum, kind = _piecewise_maximum(sides, orders, box, index, floats)
        st, nodes = stencil_nodes(floats, index, difference)
        # adaptive Richardson sums two values per level, then combines the levels
        terms = 2 if difference.method == "richardson" and difference.levels > 1 else len(st.nodes)
        rounding = _stencil_rounding(engine, nodes, st.weights_array, terms, (h, model),
                                     difference.value, unit_roundoff)
    truncation = truncation_term(model, h, maximum)
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


def stencil_nodes(floats, index, difference):
    """(stencil, its points) of ``difference`` along variable ``index`` at ``floats``."""
    st = stencil(difference.method, difference.order, difference.levels)
    nodes = np.repeat(np.array([floats]), len(st.nodes), axis=0)
    nodes[:, index] += st.nodes_array * difference.h
    return st, nodes


def prefetch_rounding(engine, node_sets, unit_roundoff) -> None:
    """The running errors of f at the stencil points of many entries, in one
    walk over all their rows: a layer's gradient asks for a hundred stencils,
    and one walk of arrays of all their points costs what one stencil's walk
    does. :func:`_stencil_rounding` takes each set's rows from here (the
    same numbers, row by row, as a walk of that set alone)."""
    if len(node_sets) < 2 or engine.data:
        return
    values, errors = running_error(engine.expression, engine.variables,
                                   np.concatenate(node_sets), unit_roundoff)
    if len(_ROUNDINGS) > 4096:  # keep memory bounded on big runs
        _ROUNDINGS.clear()
    start = 0
    for nodes in node_sets:
        stop = start + len(nodes)
        _ROUNDINGS[_rounding_key(engine, nodes, unit_roundoff)] = (values[start:stop],
                                                                   errors[start:stop])
        start = stop


def _rounding_key(engine, nodes, unit_roundoff):
    return engine.expression, engine.variables, unit_roundoff, nodes.shape, nodes.tobytes()


_ROUNDINGS = {}  # (expression, variables, u, the stencil's points) -> (values, errors)


def _stencil_rounding(engine, nodes, weights, terms, step, value, unit_roundoff) -> float:
    """Rounding of sum_j w_j f(node_j) / h^n (``step`` is (h, the method's
    model)): each f value's running error bound, the weighted sum's own
    rounding (``terms`` additions, relative to sum |w f|, not to its small
    result), and the final division."""
    h, model = step
    known = None if engine.data else _ROUNDINGS.get(_rounding_key(engine, nodes, unit_roundoff))
    values, errors = known or running_error(engine.expression, engine.variables, nodes,
                                            unit_roundoff, engine.data)
    magnitudes = np.abs(weights)
    summed = (terms + 1) * unit_roundoff * float(np.dot(magnitudes, np.abs(values)))
    spread = float(np.dot(magnitudes, errors))
    if spread < np.finfo(np.float64).tiny and np.any(np.asarray(errors) > 0):
        # subnormal errors (values that underflow): w e would round to 0 in floats,
        # and the division by h^n brings them back to where they count
        spread = mpmath.fsum(mpmath.mpf(float(w)) * mpmath.mpf(float(e))
                             for w, e in zip(magnitudes, errors))
    return rounding_term(model, h, spread + summed, len(weights) * unit_roundoff * abs(value))


def mixed_bound(engine, point, difference, i, j, *, unit_roundoff) -> Bound:
    """The bound on a mixed partial d2f/dxi dxj from the tensor stencil."""
    floats = [p.float64 for p in point]
    size, h = len(floats), difference.h
    st = stencil(difference.method, 1)
    model = method_model(difference.method, 1)
    p = model.accuracy
    lo, hi = model.span
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
    truncation = truncation_term(model, h, first + spread * second)
    offsets, weights = mixed_stencil(difference.method)
    nodes = np.repeat(np.array([floats]), len(weights), axis=0)
    nodes[:, i] += offsets[:, 0] * h
    nodes[:, j] += offsets[:, 1] * h
    # the tensor stencil divides by h^2
    rounding = _stencil_rounding(engine, nodes, weights, len(weights),
                                 (h, replace(model, rounding_power=2)), difference.value,
                                 unit_roundoff)
    target = _orders(size, (i, 1), (j, 1))
    shift = representation(engine, target, point)
    kind = "rigorous" if kind1 == kind2 == "rigorous" else "no enclosure over the box"
    return Bound(SAFETY * (truncation + rounding) + shift, truncation, rounding, shift, kind)


def representation(engine, orders, point) -> float:
    """|g(x as written) - g(nearest float of x)|, zero when x is a float."""
    point = tuple(point)
    try:  # asked by every method's row and by backprop: computed once
        key = (engine, tuple(orders), point_key(point))
        if key not in _REPRESENTATIONS:
            if len(_REPRESENTATIONS) > 4096:
                _REPRESENTATIONS.clear()
            _REPRESENTATIONS[key] = _representation(engine, orders, point)
        return _REPRESENTATIONS[key]
    except TypeError:  # a point that cannot be a key
        return _representation(engine, orders, point)


_REPRESENTATIONS = {}


def _representation(engine, orders, point) -> float:
    floats = [p.float64 for p in point]
    if all(p.exact == sympy.Rational(f) for p, f in zip(point, floats)):
        return 0.0
    try:
        written = engine.value(orders, point)
        # a tuple, whose key the exact engine makes once (a list's, at every lookup)
        nearest = engine.value(orders, tuple(mpmath.mpf(f) for f in floats))
    except (ArithmeticError, ValueError):
        return float("inf")
    return float(abs(written - nearest))

