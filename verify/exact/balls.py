"""Ball arithmetic with python-flint's ``arb``: fast rigorous enclosures.

An ``arb`` is a midpoint and a radius that encloses the true value at every
step (Johansson, "Arb: efficient arbitrary-precision midpoint-radius
interval arithmetic", IEEE Trans. Comput. 66 (2017)). It computes the same
enclosures as mpmath's ``iv`` at a fiftieth of the cost, so the step guards
and the bounds' maxima (:mod:`verify.exact.intervals`) and the interval
Taylor series (:mod:`verify.exact.series`) try it first. Anything it has no
rule for raises :class:`NoBall`, and the caller uses mpmath instead; a ball
that is not finite (a pole, a domain edge) raises NotSmooth, which callers
confirm with mpmath, so balls never make a verdict stricter.
"""
from __future__ import annotations

import functools
import math

import mpmath
import sympy
from flint import acb, arb, ctx, fmpq
from mpmath.libmp import from_man_exp

from verify.core.functions import in_domain, primitive_of


class NoBall(LookupError):
    """The expression holds something the ball evaluator has no rule for."""


class BallNotSmooth(ArithmeticError):
    """A ball met a pole, a kink or a domain edge (to be confirmed by mpmath)."""


# the registry's primitives that arb evaluates itself, rigorously, on any ball
_METHODS = {"sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos",
            "atan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp",
            "log": "log", "erf": "erf", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh"}


# the rest are monotone on their whole domain
_TURNING = ("sin", "cos", "tan", "cosh")


def has_rule(name: str) -> bool:
    return name in _METHODS


class precision:
    """``with precision(dps):`` sets flint's working precision in bits."""

    def __init__(self, dps):
        self.bits = int(dps * 3.33) + 10

    def __enter__(self):
        self.saved, ctx.prec = ctx.prec, self.bits

    def __exit__(self, *exc):
        ctx.prec = self.saved


class precision_bits(precision):
    """``with precision_bits(bits):`` sets flint's working precision to ``bits``."""

    def __init__(self, bits):
        self.bits = int(bits)


def midpoint(ball) -> mpmath.mpf:
    """The ball's midpoint as an mpmath number, exactly."""
    return _mpf(ball.mid(), 0)


def proven(ball, digits: int):
    """The midpoint of a real ball whose radius proves ``digits`` digits of it,
    exactly 0 for a ball that is zero to twice the digits, else None (more
    bits, or another route, may prove them)."""
    small, tiny = _tolerances(digits, ctx.prec)
    if ball.rad() <= abs(ball.mid()) * small:
        return midpoint(ball)
    if ball.mid() == 0 and ball.rad() <= tiny:
        return mpmath.mpf(0)
    return None


@functools.lru_cache(maxsize=64)
def _tolerances(digits, bits):
    return arb(10) ** -digits, arb(10) ** (-2 * digits)


def to_arb(value) -> arb:
    """A float, an int or an mpmath number, exactly."""
    if isinstance(value, (int, float)):
        return arb(value)
    if isinstance(value, mpmath.mpf):
        sign, man, exp, _ = value._mpf_
        if not man and exp:  # inf or nan
            raise NoBall("not a finite number")
        return arb((-man if sign else man, exp))
    return arb(float(value)) if float(value) == value else _no(f"{value!r}")


def to_acb(value) -> acb:
    """An mpmath complex number (or a real one), exactly, as a complex ball."""
    if isinstance(value, mpmath.mpc):
        return acb(to_arb(value.real), to_arb(value.imag))
    return acb(to_arb(value))


def _no(what):
    raise NoBall(what)


def span(lo, hi) -> arb:
    """The ball holding [lo, hi]."""
    return to_arb(lo).union(to_arb(hi))


def ends(ball):
    """(lower, upper) of a finite ball as mpmath numbers, outward."""
    if not ball.is_finite():
        raise BallNotSmooth("unbounded on the interval")
    return _mpf(ball.lower(), -1), _mpf(ball.upper(), 1)


def bounds(ball):
    """(lower, upper) of a finite ball as exact balls (no radius): the ends
    without a round trip through mpmath, for comparisons and end-point rules."""
    if not ball.is_finite():
        raise BallNotSmooth("unbounded on the interval")
    return ball.lower(), ball.upper()


def _mpf(value, direction):
    """mid + direction * rad of ``value``, exactly: integer arithmetic on the
    mantissas, made an mpf without rounding (mpmath's sum at a working
    precision would round, and cost a precision switch per end)."""
    man, exp = (int(v) for v in value.mid().man_exp())
    rad = value.rad()
    if rad != 0:
        rman, rexp = (int(v) for v in rad.man_exp())
        low = min(exp, rexp)
        man, exp = (man << (exp - low)) + direction * (rman << (rexp - low)), low
    return mpmath.mp.make_mpf(from_man_exp(man, exp))


def max_abs(ball) -> mpmath.mpf:
    """An upper bound of |x| over the ball."""
    if not ball.is_finite():
        raise BallNotSmooth("unbounded on the interval")
    return _mpf(abs(ball).upper(), 1)


def taylor_coefficient(expr, symbol, about, m, held=None, constants=None):
    """m! times the m-th Taylor coefficient of ``expr`` in ``symbol`` about the
    ball ``about``: a ball holding d^m expr / d symbol^m at every point of it,
    by series arithmetic (:mod:`verify.exact.series`), without forming the
    SymPy derivative. ``held`` maps the other symbols to balls (constants of
    the expansion; ``constants`` their shared memo, see
    :func:`verify.exact.series.constants_at`). Raises NoBall or BallNotSmooth (and the series' own
    NoRule, NotAnalytic) where the caller must use SymPy and mpmath."""
    from verify.exact.series import Ball, expand
    coefficient = expand(expr, symbol, about, m, Ball(), held, constants)[m] * arb.fac_ui(m)
    if not coefficient.is_finite():
        raise BallNotSmooth("the derivative is not finite on the interval")
    return coefficient


class SharedExpansions:
    """:func:`taylor_coefficient` of one expression along one symbol, each ball
    expanded once to ``order`` and read at every m up to it: the error curve's
    six methods prove their models on the same point and on the same
    intervals. Series arithmetic computes a coefficient from the lower ones
    only, so it is the same whatever order the series is cut at; an
    expansion that raised raises again."""

    def __init__(self, expr, symbol, order):
        self.expr, self.symbol, self.order = expr, symbol, order
        self._series = {}

    def coefficient(self, about, m):
        if m > self.order:
            return taylor_coefficient(self.expr, self.symbol, about, m)
        key = (ctx.prec, *(int(v) for v in about.mid().man_exp()),
               *(int(v) for v in about.rad().man_exp()))
        if key not in self._series:
            from verify.exact.series import Ball, expand
            try:
                self._series[key] = expand(self.expr, self.symbol, about, self.order, Ball())
            except Exception as exc:  # noqa: BLE001 (kept to be raised to every caller)
                self._series[key] = exc
        series = self._series[key]
        if isinstance(series, Exception):
            raise series
        coefficient = series[m] * arb.fac_ui(m)
        if not coefficient.is_finite():
            raise BallNotSmooth("the derivative is not finite on the interval")
        return coefficient


def exact_point(value) -> arb:
    """A case's number (a Value) as a ball: exact for rationals (and for floats
    and mpmath numbers, which are binary rationals)."""
    exact = getattr(value, "exact", None)
    if exact is not None and exact.is_Rational:
        return arb(fmpq(int(exact.p), int(exact.q)))
    if exact is not None:  # the point to more digits than the working precision
        centre = to_arb(value.mp(int(ctx.prec / 3.3) + 10))
        return arb(centre, abs(centre) * arb(2) ** (10 - ctx.prec) + arb(2) ** (-2 * ctx.prec))
    return to_arb(value)


def evaluate(expr, env, memo):
    """The ball of ``expr`` with ``env`` mapping symbols to balls."""
    if expr in memo:
        return memo[expr]
    result = _node(expr, env, memo)
    if not result.is_finite():
        raise BallNotSmooth(f"{type(expr).__name__} is not finite on the interval")
    memo[expr] = result
    return result


def constant(expr) -> arb:
    if expr.is_Rational:
        return arb(fmpq(int(expr.p), int(expr.q)))
    if expr.is_Float:
        sign, man, exp, _ = expr._mpf_
        if not man and exp:
            raise NoBall("not a finite number")
        return arb((-man if sign else man, exp))
    if expr is sympy.pi:
        return arb.pi()
    if expr is sympy.E:
        return arb(1).exp()
    raise NoBall(f"no ball for the constant {expr}")


def _node(expr, env, memo):
    if expr.is_Symbol:
        if expr not in env:
            raise NoBall(f"unbound symbol {expr}")
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return constant(expr)
    if expr.is_Add:
        args = [evaluate(a, env, memo) for a in expr.args]
        return sum(args[1:], args[0])
    if expr.is_Mul:
        args = [evaluate(a, env, memo) for a in expr.args]
        result = args[0]
        for a in args[1:]:
            result = result * a
        return result
    if expr.is_Pow:
        return _power(expr, evaluate(expr.base, env, memo))
    primitive = primitive_of(expr)
    if primitive is None or primitive.name not in _METHODS or len(expr.args) != 1:
        raise NoBall(f"no ball rule for {type(expr).__name__}")
    x = evaluate(expr.args[0], env, memo)
    if any(math.isfinite(end) for end in primitive.domain):
        lo, hi = bounds(x)
        if not in_domain(primitive, lo, hi):
            raise BallNotSmooth(f"{primitive.name} outside its domain on the interval")
    return apply(primitive, x)


def apply(primitive, x):
    """f(x), from the ends where f is monotone on the ball: a ball's own
    enclosure is wider by O(radius**2), which for a 1e-3 wide box is more
    than mpmath's end-point rule gives."""
    method = _METHODS[primitive.name]
    if x.rad() == 0:
        return getattr(x, method)()
    if primitive.name in _TURNING:
        slope = {"sin": x.cos, "cos": x.sin, "tan": x.cos, "cosh": lambda: x}[primitive.name]()
        if slope.contains(0):
            if primitive.name == "tan":
                raise BallNotSmooth("tan may have a pole in the interval")
            return getattr(x, method)()
    return apply_monotone(lambda end: getattr(end, method)(), x)


def apply_monotone(fn, x):
    """fn over the ball x, for fn monotone on it: the union of its values at the ends."""
    if x.rad() == 0:
        return fn(x)
    low, high = bounds(x)
    return fn(low).union(fn(high))


def _power(expr, base):
    e = expr.exp
    if e.is_Integer:
        n = int(e)
        if n < 0:
            if base.contains(0):
                raise BallNotSmooth("division by an interval holding 0")
            return 1 / base ** (-n)
        return base ** n
    lo, _ = bounds(base)
    if lo <= 0:
        raise NoBall("a power of an interval reaching 0: mpmath decides")
    if e == sympy.S.Half:
        return base.sqrt()
    if not e.is_number:
        raise NoBall("a power with a symbolic exponent")
    return (base.log() * constant(e)).exp()
