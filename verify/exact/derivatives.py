"""Higher derivatives in one place: f^(k) at a point, and max |f^(k)| over a box.

Every engine that needs a derivative of order k > 1 asks here, and the
route is chosen here, in this order (the first that decides wins):

1. **balls**: the Taylor series in python-flint balls
   (:mod:`verify.exact.balls`, :class:`verify.exact.series.Ball`), about a
   point or over a box: rigorous, and without forming the SymPy derivative;
2. **interval series**: the same series in mpmath's ``iv``
   (:class:`verify.exact.series.Interval`), where balls meet an edge that
   mpmath may not confirm (a power of an interval reaching 0);
3. **SymPy**: the k-th derivative formed by :mod:`verify.exact.symbolic`,
   enclosed over the box by :func:`verify.exact.intervals.interval_max_abs`
   (or, at a point, shown nonzero by interval arithmetic and valued by
   mpmath): the only route for sums over data rows.

The m-th Taylor coefficient about an interval encloses f^(m)(xi)/m! for
every xi in it, so routes 1 and 2 bound a maximum without the m-th SymPy
derivative (for Squire and Trapp's function at m = 11 SymPy takes seconds).
What each route raises when it cannot decide (no rule, an edge met, a value
that is not finite) is :data:`UNDECIDED`, caught here: callers get None
(no route decided) and never a route's own exception. The one exception
that passes through is :class:`verify.exact.symbolic.DerivativeTooLarge`:
the SymPy derivative was refused, which the bound reports as such.

The numeric Taylor coefficients of the ``taylor`` check (Cauchy integrals,
``mpmath.taylor``) are the engine under test, not a route to exact
derivatives: they live in :mod:`verify.numeric.taylor_coefficients`.
"""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from verify.exact import balls
from verify.exact.intervals import NotSmooth, ends_of, excludes_zero, interval_max_abs, widened
from verify.exact.series import Ball, Held, Interval, NoRule, constants_at, expand
from verify.exact.compiled import LimitReached
from verify.exact.symbolic import DerivativeTooLarge

# what a route raises when it cannot decide (NotSmooth, BallNotSmooth, NotAnalytic
# and ZeroDivisionError are ArithmeticErrors; NoBall and NoRule LookupErrors)
UNDECIDED = (LookupError, ArithmeticError, ValueError, TypeError)

INTERVAL_DPS = 30          # digits of the interval series
BALL_DPS = (40, 80, 160)   # digits tried for values at a point until each is decided
SERIES_PIECES = 16         # a wide box's series maximum is retried on this many pieces

__all__ = ["UNDECIDED", "along", "at_point", "ball_max_abs", "coefficient_enclosures",
           "digits_at", "max_abs", "series_max_abs"]


# --- max |f^(m)| over a box -----------------------------------------------------------

def max_abs(engine, orders, box, floats) -> float | None:
    """An upper bound of |d^orders f| over ``box`` ((lo, hi) per variable), or
    None when no route decides. ``floats`` are the point's coordinates (the
    values the other variables are held at).

    Raises
    ------
    DerivativeTooLarge
        When only the SymPy route is left and the derivative is refused.

    Examples
    --------
    >>> from verify.exact.symbolic import ExactFunction
    >>> from verify.input.expressions import parse
    >>> engine = ExactFunction(parse("sin(x)"), ("x",))
    >>> 0.99 < max_abs(engine, (3,), [(0.0, 0.1)], [0.05]) < 1.0 + 1e-9
    True
    """
    found = series_max_abs(engine, orders, box, floats)
    if found is None and series_max_abs(engine, orders, _centre(box), floats) is not None:
        # it holds at the centre (a rule exists, no edge there): the box was too wide
        found = _split_series_max_abs(engine, orders, box, floats)
    if found is not None:
        return found
    expr = engine.derivative(orders)
    try:
        return float(interval_max_abs(expr, engine.variables, box, engine.data))
    except (NotSmooth, ValueError, TypeError):
        return None


def series_max_abs(engine, orders, box, floats) -> float | None:
    """max |d^m f / dx_i^m| over the box by a Taylor series about it (balls,
    then mpmath intervals), or None (a mixed or zeroth order, data sums, no
    rule, an edge met)."""
    moved = [i for i, k in enumerate(orders) if k]
    if len(moved) != 1 or engine.data:
        return None
    index, m = moved[0], orders[moved[0]]
    # the other variables are constants of the expansion (numbers of its kind), not
    # substituted into the SymPy tree: that re-evaluates the whole tree per entry
    others = [(s, floats[j]) for j, s in enumerate(engine.symbols) if j != index]
    lo, hi = box[index]
    pad = (abs(lo) + abs(hi)) * 1e-25
    fast = ball_max_abs(engine.expression, engine.symbols[index], (lo - pad, hi + pad), m,
                        others, tuple(floats))
    if fast is not None:
        return fast
    saved, iv.dps = iv.dps, INTERVAL_DPS
    try:
        held = Held(others, lambda x: iv.mpf(float(x)))
        coefficients = expand(engine.expression, engine.symbols[index],
                              widened(lo, hi, 1e-25), m, Interval(), held)
        low, high = ends_of(coefficients[m])
    except UNDECIDED:
        return None
    finally:
        iv.dps = saved
    if not (mpmath.isfinite(low) and mpmath.isfinite(high)):
        return None
    return float(max(abs(low), abs(high)) * mpmath.factorial(m))


def ball_max_abs(expr, symbol, span, m, others=(), point=None) -> float | None:
    """m! |c_m| of ``expr`` about the ball ``span`` (lo, hi) on flint balls, the
    ``others`` (symbol, float) held, or None when balls have no rule or meet an
    edge (the interval series decides). ``point`` (every variable's float)
    names the held values, so what does not move is computed once per point."""
    try:
        with balls.precision(30):
            held = Held(others, lambda x: balls.arb(float(x)))  # floats: exact
            shared = constants_at(expr, ("ball", 30, point)) if point is not None else None
            coefficient = expand(expr, symbol, balls.span(*span), m, Ball(), held, shared)[m]
            top = balls.max_abs(coefficient * balls.arb.fac_ui(m))
    except UNDECIDED:
        return None
    return float(top) if mpmath.isfinite(top) else None


def _centre(box):
    return [((lo + hi) / 2, (lo + hi) / 2) for lo, hi in box]


def _split_series_max_abs(engine, orders, box, floats, pieces=SERIES_PIECES, depth=3):
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
        found = series_max_abs(engine, orders, part, floats)
        if found is None:
            found = _split_series_max_abs(engine, orders, part, floats, 4, depth - 1)
        if found is None:
            return None
        largest = max(largest, found)
    return largest


def coefficient_enclosures(engine, edges, order: int) -> list:
    """For each piece [edges[i], edges[i+1]] of a one-variable function: upper
    bounds of |c_m(xi)| = |f^(m)(xi)| / m!, m = 0..order, over every xi in the
    piece (floats, ``inf`` where no route bounds it: the piece is not smooth,
    or the derivative is refused). Interval series about the piece; SymPy
    derivatives where the series has no rule (a sum over data rows)."""
    x = engine.symbols[0]
    saved, iv.dps = iv.dps, INTERVAL_DPS
    pieces = []
    try:
        for lo, hi in zip(edges[:-1], edges[1:]):
            lo, hi = min(lo, hi), max(lo, hi)
            about = widened(lo, hi, mpmath.mpf(10) ** (-INTERVAL_DPS + 5))
            try:
                series = expand(engine.expression, x, about, order, Interval())
                pieces.append([_upper(c) for c in series])
            except NoRule:
                pieces.append(_symbolic_enclosure(engine, ends_of(about), order))
            except (*UNDECIDED, LimitReached):  # a far piece of a figure's grid: no bound there
                pieces.append([math.inf] * (order + 1))
    finally:
        iv.dps = saved
    return pieces


def _upper(c):
    lo, hi = ends_of(c)
    value = float(max(abs(lo), abs(hi)))
    return value if mpmath.isfinite(lo) and mpmath.isfinite(hi) else math.inf


def _symbolic_enclosure(engine, span, order):
    out = []
    for m in range(order + 1):
        try:
            top = interval_max_abs(engine.nth(m), engine.variables, [span], engine.data)
            out.append(float(top / mpmath.factorial(m)))
        except (NotSmooth, ValueError, TypeError, DerivativeTooLarge):
            out.append(math.inf)
    return out


# --- f^(k) at a point -----------------------------------------------------------------

def along(engine, point, index):
    """The function along variable ``index``, the other coordinates held
    exactly (a one-variable expression for the series routes); None where
    the series cannot serve (data sums, a coordinate with no exact value)."""
    if engine.data:
        return None
    held = {s: getattr(p, "exact", None) for j, (s, p) in enumerate(zip(engine.symbols, point))
            if j != index}
    if any(v is None for v in held.values()):
        return None
    return engine.expression.xreplace(held) if held else engine.expression


def at_point(engine, point, index, count: int) -> list:
    """f^(k) along variable ``index`` at ``point`` (case Values), k = 0..count,
    rigorously: each entry an mpf whose enclosure excludes 0, exactly 0, or
    None where no route tells it from 0 (so no model may claim it vanishes,
    nor give it a size).

    Balls at rising precision first; where balls have no rule, the interval
    series; where the series has none (a data sum), SymPy derivatives shown
    nonzero by interval arithmetic and valued by mpmath.

    Examples
    --------
    >>> import sympy
    >>> from verify.exact.symbolic import ExactFunction
    >>> from verify.input.expressions import parse
    >>> from verify.input.values import Value
    >>> at_point(ExactFunction(parse("x**3"), ("x",)), (Value("2", sympy.Integer(2)),), 0, 4)
    [mpf('8.0'), mpf('12.0'), mpf('12.0'), mpf('6.0'), mpf('0.0')]
    """
    line = along(engine, point, index)
    if line is not None:
        symbol = engine.symbols[index]
        found = _by_balls(line, symbol, point[index], count)
        if found is None:
            found = _by_intervals(line, symbol, point[index], count)
        if found is not None:
            return found
    return _by_sympy(engine, point, index, count)


def _by_balls(line, symbol, about, count):
    found = None
    for dps in BALL_DPS:
        try:
            with balls.precision(dps):
                centre = balls.exact_point(about)
                series = balls.SharedExpansions(line, symbol, count)  # one expansion for all k
                found = [series.coefficient(centre, k) for k in range(count + 1)]
        except UNDECIDED:
            return None
        if all(b.is_exact() or not b.contains(0) for b in found):
            break
    return [_ball_value(b) for b in found]


def digits_at(line, symbol, about, k: int, digits: int):
    """f^(k) of the one-variable ``line`` (see :func:`along`) at ``about`` (a
    case Value) to ``digits`` proven digits, as an mpf: the midpoint of a ball
    whose radius proves them (0 when it is zero to twice the digits), or None
    when balls cannot (no rule, an edge, digits lost to cancellation), for
    the caller's SymPy route."""
    for bits in (int(digits * 3.33) + 40, int(digits * 3.33) * 4):
        try:
            with balls.precision_bits(bits):
                ball = balls.taylor_coefficient(line, symbol, balls.exact_point(about), k)
                value = balls.proven(ball, digits)
                if value is not None:
                    return value
        except UNDECIDED:
            return None
    return None


def _ball_value(ball):
    if ball.is_exact() and ball.mid() == 0:
        return mpmath.mpf(0)
    if ball.contains(0):
        return None
    return balls.ends(ball.mid())[0]


def _by_intervals(line, symbol, about, count):
    saved, iv.dps = iv.dps, INTERVAL_DPS
    try:
        x = _coordinate(about, INTERVAL_DPS + 10)
        coefficients = expand(line, symbol, widened(x, x, mpmath.mpf(10) ** (5 - INTERVAL_DPS)),
                              count, Interval())
        ends = [ends_of(c) for c in coefficients]
    except UNDECIDED:
        return None
    finally:
        iv.dps = saved
    out = []
    for k, (lo, hi) in enumerate(ends):
        if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
            return None
        if lo == hi == 0:
            out.append(mpmath.mpf(0))
        elif lo <= 0 <= hi:
            out.append(None)
        else:
            with mpmath.workdps(INTERVAL_DPS):
                out.append((lo + hi) / 2 * mpmath.factorial(k))
    return out


def _by_sympy(engine, point, index, count):
    saved, iv.dps = iv.dps, INTERVAL_DPS
    try:  # the box of the exact point: a coordinate such as 0.1 is no float
        box = [ends_of(widened(x, x, mpmath.mpf(10) ** (5 - INTERVAL_DPS)))
               for x in (_coordinate(p, INTERVAL_DPS + 10) for p in point)]
    finally:
        iv.dps = saved
    out = []
    for k in range(count + 1):
        orders = tuple(k if j == index else 0 for j in range(len(point)))
        try:
            expr = engine.derivative(orders)
            if expr == 0:
                out.append(mpmath.mpf(0))
            elif excludes_zero(expr, engine.variables, box, engine.data):
                out.append(engine.value(orders, point))
            else:
                out.append(None)
        except (DerivativeTooLarge, *UNDECIDED):
            out.append(None)
    return out


def _coordinate(value, dps):
    """A case's coordinate (a Value, or a number) as an mpf at ``dps`` digits."""
    if hasattr(value, "mp"):
        return value.mp(dps)
    with mpmath.workdps(dps):
        return mpmath.mpf(value)
