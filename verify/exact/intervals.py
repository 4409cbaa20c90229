"""Interval evaluation of an expression over a box: flint balls, then mpmath's ``iv``.

Balls (:mod:`verify.exact.balls`) are tried first; where they have no rule,
or meet a pole or an edge (which mpmath then confirms), mpmath's ``iv``
evaluates the box as below.

Used for rigorous bounds: max |f^(m)| over a stencil's interval (finite
differences) or over [a, x] (the Taylor remainder). An interval that meets
a kink, a pole or the edge of the domain raises :class:`NotSmooth`, which
callers read as "this step or this interval is not usable".

Each function's rule comes from the registry (:mod:`verify.core.functions`):
mpmath's ``iv`` has sin, cos, tan, exp and log; cosh is monotone on either
side of 0; the monotone ones (atan, asin, acos, sinh, tanh, erf, asinh, acosh,
atanh) are evaluated at both ends and widened outward by a few units in the
last place of the working precision.
"""
from __future__ import annotations

import mpmath
import sympy
from mpmath import iv

from verify.exact import balls
from verify.exact.compiled import refuse_too_large
from verify.input.expressions import DataSum, symbol
from verify.core.functions import in_domain, passes, pieces, primitive_of

MAX_ROWS = 2_000  # interval sums over more rows fall back to the leading term


class NotSmooth(ArithmeticError):
    """The box meets a kink, a pole or the edge of the domain."""


WIDE = 1e-3   # boxes wider than this are split, to tame interval overestimation
PIECES = 16


def interval_max_abs(expr, variables, box, data=(), dps=30, pieces=None):
    """max |expr| over ``box`` (one (lo, hi) pair per variable), rigorously.

    Interval arithmetic overestimates on wide boxes (each occurrence of x
    is treated as independent), so a box wider than ``WIDE`` is split into
    ``pieces`` along its widest side and the largest enclosure is taken.

    Returns
    -------
    mpmath.mpf
        An upper bound of |expr| on the box.

    Raises
    ------
    NotSmooth
        When the box meets a kink, a pole or the domain's edge.
    """
    widths = [float(hi) - float(lo) for lo, hi in box]
    if pieces is None:
        pieces = PIECES if widths and max(widths) > WIDE else 1
    if pieces > 1:
        side = widths.index(max(widths))
        lo, hi = mpmath.mpf(box[side][0]), mpmath.mpf(box[side][1])
        cuts = [lo] + [lo + (hi - lo) * k / pieces for k in range(1, pieces)] + [hi]
        return max(interval_max_abs(expr, variables,
                                    [*box[:side], (a, b), *box[side + 1:]], data, dps, pieces=1)
                   for a, b in zip(cuts[:-1], cuts[1:]))
    fast = _ball(expr, variables, box, data, dps)
    if fast is not None:
        return balls.max_abs(fast)
    saved, iv.dps = iv.dps, dps
    try:
        env = {symbol(v): iv.mpf([a, b]) for v, (a, b) in zip(variables, box)}
        result = _eval(expr, env, data, {})
        lo, hi = ends_of(iv.mpf(result))
    except (mpmath.libmp.libmpf.ComplexResult, ZeroDivisionError, ValueError) as exc:
        raise NotSmooth(str(exc)) from None
    finally:
        iv.dps = saved
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        raise NotSmooth("unbounded on the interval")
    return max(abs(lo), abs(hi))


def _ball(expr, variables, box, data, dps):
    """The ball of ``expr`` over the box, or None when mpmath must decide (no
    ball rule, data sums, or a ball that is not finite, to be confirmed)."""
    if data:
        return None
    try:
        with balls.precision(dps):
            env = {symbol(v): balls.span(a, b) for v, (a, b) in zip(variables, box)}
            return balls.evaluate(expr, env, {})
    except (balls.NoBall, balls.BallNotSmooth, ValueError, TypeError, ZeroDivisionError):
        return None


def excludes_zero(expr, variables, box, data=(), dps=30) -> bool:
    """True when ``expr`` is provably nonzero on ``box`` (split like
    :func:`interval_max_abs` when wide); False when it may vanish or has no
    interval rule."""
    widths = [float(hi) - float(lo) for lo, hi in box]
    side = widths.index(max(widths)) if widths else 0
    count = PIECES if widths and max(widths) > WIDE else 1
    lo, hi = (mpmath.mpf(box[side][0]), mpmath.mpf(box[side][1])) if box else (0, 0)
    cuts = [lo + (hi - lo) * k / count for k in range(count + 1)]
    signs = set()
    saved, iv.dps = iv.dps, dps
    try:
        for a, b in zip(cuts[:-1], cuts[1:]):
            part = [*box[:side], (a, b), *box[side + 1:]]
            fast = _ball(expr, variables, part, data, dps)
            if fast is not None:
                if fast.contains(0):
                    return False
                signs.add(fast > 0)
                continue
            env = {symbol(v): iv.mpf([x, y]) for v, (x, y) in zip(variables, part)}
            low, high = ends_of(iv.mpf(_eval(expr, env, data, {})))
            if not (low > 0 or high < 0):
                return False
            signs.add(low > 0)
    except (NotSmooth, mpmath.libmp.libmpf.ComplexResult, ZeroDivisionError, ValueError,
            TypeError):
        return False
    finally:
        iv.dps = saved
    return len(signs) == 1


def ends_of(interval):
    """The two ends of an ``iv`` interval as mpmath numbers, exactly (mpf() of a raw
    value rounds it to the working precision, float's by default, to nearest:
    an end rounded inwards loses the enclosure)."""
    lo, hi = interval._mpi_
    with mpmath.workprec(max(lo[3], hi[3], 53) + 10):
        return mpmath.mpf(lo), mpmath.mpf(hi)


def widened(lo, hi, relative):
    """The interval [lo, hi] widened outward by ``relative`` (|lo| + |hi|), the
    subtraction done at the interval's precision (in floats the pad is lost)."""
    with mpmath.workdps(iv.dps + 10):
        lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
        pad = (abs(lo) + abs(hi)) * mpmath.mpf(relative)
        return iv.mpf([lo - pad, hi + pad])


def _eval(expr, env, data, memo):
    if expr in memo:
        return memo[expr]
    result = _eval_node(expr, env, data, memo)
    memo[expr] = result
    return result


def _eval_node(expr, env, data, memo):
    if expr.is_Symbol:
        if expr not in env:
            raise ValueError(f"unbound symbol {expr}")
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return _constant(expr)
    if isinstance(expr, DataSum):
        return _data_sum(expr, env, data, memo)
    if isinstance(expr, sympy.Piecewise):
        return _where(expr, env, data, memo)
    args = [_eval(a, env, data, memo) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        result = args[0]
        for a in args[1:]:
            result = result * a
        return result
    if expr.is_Pow:
        return _power(expr, args[0], args[1])
    primitive = primitive_of(expr)
    if primitive is not None:
        return _primitive(primitive, args[0])
    name = type(expr).__name__
    if name == "Abs":
        return abs(args[0])
    if name in ("Max", "Min"):
        pick = max if name == "Max" else min
        ends = [ends_of(a) for a in args]
        return iv.mpf([pick(e[0] for e in ends), pick(e[1] for e in ends)])
    if name in ("sign", "Heaviside"):
        lo, hi = ends_of(args[0])
        if lo <= 0 <= hi:
            raise NotSmooth(f"{name} changes at 0 inside the interval")
        return iv.mpf(1 if lo > 0 else (-1 if name == "sign" else 0))
    if name == "DiracDelta":
        lo, hi = ends_of(args[0])
        if lo <= 0 <= hi:
            raise NotSmooth("a derivative of a kink inside the interval")
        return iv.mpf(0)
    raise ValueError(f"no interval rule for {name}")


def _where(expr, env, data, memo):
    """The piece the whole box takes; a box where a comparison is undecided
    holds a switch point, where the pieces' derivatives do not apply."""
    for value, difference, test in pieces(expr):
        if test is None:
            return _eval(value, env, data, memo)
        lo, hi = ends_of(iv.mpf(_eval(difference, env, data, memo)))
        everywhere, nowhere = passes(test, lo) and passes(test, hi), \
            not passes(test, lo) and not passes(test, hi)
        if everywhere:
            return _eval(value, env, data, memo)
        if not nowhere or lo <= 0 <= hi:
            raise NotSmooth("a switch point of where inside the interval")
    raise NotSmooth("no piece of where applies")


def _constant(expr):
    exact = sympy.Rational(expr) if expr.is_Rational else None
    if exact is not None:
        return iv.mpf(exact.p) / exact.q
    with mpmath.workdps(iv.dps + 10):  # at float's default precision the ulp is lost
        value = mpmath.mpf(expr.evalf(iv.dps + 10)._mpf_)
        ulp = abs(value) * mpmath.mpf(10) ** (-iv.dps - 5)
        return iv.mpf([value - ulp, value + ulp])


def _power(expr, base, exponent):
    e = expr.exp
    lo, hi = ends_of(base)
    if e.is_Integer:
        n = int(e)
        if n < 0:
            if lo <= 0 <= hi:
                raise NotSmooth("division by an interval holding 0")
            return 1 / base ** (-n)
        return base ** n
    if e == sympy.Rational(1, 2):
        if lo < 0:
            raise NotSmooth("square root of a negative number")
        return iv.sqrt(base)
    if lo <= 0:
        if lo < 0 or not (e.is_number and e > 0):
            raise NotSmooth("power of a non-positive number")
    return iv.exp(exponent * iv.log(base))


def _primitive(primitive, x):
    """The registry's rule: the domain first, then mpmath's own interval
    function, a rewrite into others, or the end points of a monotone one."""
    if not in_domain(primitive, *ends_of(x)):
        raise NotSmooth(f"{primitive.name} outside its domain on the interval")
    for end in ends_of(x):  # mpmath would reduce such an end modulo pi or log 2 for ever
        refuse_too_large(primitive.name, end)
    if primitive.turning_point is not None:
        lo, hi = ends_of(x)
        turn = primitive.turning_point
        if lo < turn < hi:  # both monotone halves; the turning value lies between
            left = _monotone((not primitive.monotone, primitive.mpmath), iv.mpf([lo, turn]))
            right = _monotone((primitive.monotone, primitive.mpmath), iv.mpf([turn, hi]))
            return iv.mpf([min(ends_of(left)[0], ends_of(right)[0]),
                           max(ends_of(left)[1], ends_of(right)[1])])
        increasing = primitive.monotone if lo >= turn else not primitive.monotone
        return _monotone((increasing, primitive.mpmath), x)
    if primitive.monotone is not None:
        return _monotone((primitive.monotone, primitive.mpmath), x)
    return getattr(iv, primitive.name)(x)


def _monotone(fn, x):
    increasing, f = fn
    ends = []
    with mpmath.workdps(iv.dps + 10):
        for end in ends_of(x):
            try:
                value = f(end)
            except (ValueError, ZeroDivisionError):
                raise NotSmooth("outside the domain") from None
            if isinstance(value, mpmath.mpc):
                raise NotSmooth("outside the domain")
            ends.append(value)
        lo, hi = (ends[0], ends[1]) if increasing else (ends[1], ends[0])
        # padded at the working precision: at mpmath's default (float's) the pad is lost
        pad = mpmath.mpf(10) ** (5 - iv.dps) * max(abs(lo), abs(hi), 1)
        return iv.mpf([lo - pad, hi + pad])


def _data_sum(expr, env, data, memo):
    if not data or len(data[0].floats) > MAX_ROWS:
        raise ValueError("too many rows for interval sums")
    inner = expr.args[0]
    total = iv.mpf(0)
    for row in range(len(data[0].texts)):
        row_env = dict(env)
        for column in data:
            row_env[symbol(column.name)] = iv.mpf(column.texts[row])
        total += _eval(inner, row_env, data, {})
    return total
