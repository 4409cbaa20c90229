"""One error model per finite-difference method, for the bound and the curve.

A method computing the n-th derivative with step h errs by

    truncation C h^p M  +  rounding R / h^r + F,

with p the method's order of accuracy, M = |f^(n+p)| (its maximum over
the stencil for the bound of :mod:`verify.bounds.predicted`, its value at the
point for the error curve of :mod:`verify.numeric.curves`), C the Peano
constant of the stencil, R the weighted rounding of the function values
(sum |w_j| e_j), r = n, and F the rounding of the result itself. Complex
step (Squire and Trapp) has no subtraction: C = 1/3!, p = 2, and its
rounding does not grow as h shrinks (r = 0). That difference is stated once,
in :func:`method_model`; everything else reads it from there.

For the curve the model also knows the later terms of the expansion (the
signed moments mu_k of f^(k)(x) h^(k-n)) and where its leading term is
proven to rule (:func:`holds_below`, by ball enclosures).

References
----------
.. [1] Sauer, T. "Numerical Analysis", 2nd ed., sec. 5.1.
.. [2] Squire, W. and Trapp, G. "Using complex variables to estimate
   derivatives of real functions", SIAM Review 40 (1998).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np

from verify.numeric.stencils import RICHARDSON_LEVELS, stencil

EXTRA_TERMS = 4       # orders past the leading one searched when f^(k)(x) vanishes
MOMENTS = 40          # orders whose moments are tabulated
SPREAD_TERMS = 4      # Taylor terms of f^(k) about x in the distance the model may be off
MODEL_SPREAD = 0.25   # the truncation within this part of the model's error: the model holds


@dataclass(frozen=True)
class MethodModel:
    """What one method's error is made of (see the module docstring)."""

    method: str
    order: int                 # n, the derivative computed
    accuracy: int              # p
    constant: float            # C of the leading term C h^p |f^(n+p)|
    rounding_power: int        # r: rounding grows as 1 / h^r
    span: tuple                # (lo, hi): the stencil reaches x + lo h .. x + hi h
    moments: tuple             # signed mu_k (Fraction) for k = 0..MOMENTS
    remainders: tuple          # Lagrange constants: |remainder of order m| <= c_m h^(m-n) max|f^(m)|

    @property
    def derivative(self) -> int:
        """k = n + p, the derivative in the leading truncation term."""
        return self.order + self.accuracy

    def coefficient(self, k: int) -> float:
        """|the coefficient of f^(k) h^(k-n)|; the Peano constant for the leading k."""
        return self.constant if k == self.derivative else abs(float(self.moments[k]))


@lru_cache(maxsize=None)
def method_model(method: str, order: int = 1, levels: int = RICHARDSON_LEVELS) -> MethodModel:
    """The error model of ``method`` for the ``order``-th derivative."""
    if method == "complex_step":
        # Im f(x + ih)/h = f' - f''' h^2/3! + f^(5) h^4/5! - ...: the node i
        moments = tuple(Fraction((-1) ** ((k - 1) // 2), math.factorial(k)) if k % 2 else
                        Fraction(0) for k in range(MOMENTS + 1))
        remainders = tuple(1.0 / math.factorial(m) for m in range(MOMENTS + 1))
        return MethodModel(method, 1, 2, 1.0 / 6, 0, (-1.0, 1.0), moments, remainders)
    st = stencil(method, order, levels)
    moments = tuple(sum(w * Fraction(s) ** k for s, w in zip(st.nodes, st.weights))
                    / math.factorial(k) for k in range(MOMENTS + 1))
    remainders = tuple(float(sum(abs(w) * abs(Fraction(s)) ** m
                                 for s, w in zip(st.nodes, st.weights)) / math.factorial(m))
                       for m in range(MOMENTS + 1))
    return MethodModel(method, order, st.accuracy, st.peano_constant, order, st.span, moments,
                       remainders)


def truncation_term(model: MethodModel, h, maximum, k: int | None = None) -> float:
    """C_k h^(k-n) maximum (k = n + p unless given); infinity where it
    overflows a float (a step of 1e52 at x = 1e53 is inconclusive, not a crash)."""
    k = model.derivative if k is None else k
    c = model.coefficient(k)
    if maximum == 0 or c == 0:
        return 0.0
    return float(mpmath.mpf(c) * mpmath.mpf(h) ** (k - model.order) * mpmath.mpf(maximum))


def rounding_term(model: MethodModel, h, spread, final=0.0) -> float:
    """spread / h^r + final: the function values' rounding carried through the
    quotient, and the rounding of the result."""
    if model.rounding_power == 0:
        return float(spread) + final
    if spread == 0:
        return final
    # a positive term below float64 is the smallest subnormal, not 0 (rounded up:
    # exp(x + 2) at -2e8 is 1e-86858896, and the bound must stay above it)
    term = float(mpmath.mpf(spread) * mpmath.mpf(h) ** -model.rounding_power) or 5e-324
    return term + final


def nominal_order(method: str, order: int = 1) -> int:
    return method_model(method, order).accuracy


def moment(method: str, order: int, k: int) -> float:
    """The coefficient of f^(k)(x) h^(k-n) in the method's error (absolute value)."""
    return abs(float(method_model(method, order).moments[k]))


@dataclass(frozen=True)
class Model:
    """One method's error against h at a point:
    truncation h^power + rounding / h^order + floor."""

    truncation: float
    power: int
    derivative: int       # k of the f^(k) behind the truncation term; 0 when it is zero
    rounding: float
    order: int            # growth of rounding as h shrinks: n, or 0 for complex step
    floor: float
    # (coefficient, power) of the terms after the leading one: where they are
    # not small against it, the slope is not the leading term's
    next_terms: tuple = ()
    unsure: str = ""      # why the model cannot say which term leads ("" when it can)
    holds_below: float = math.inf  # the model is proven within MODEL_SPREAD below this h
    # (coefficient, power) of the rounding of the stencil's own nodes x + c h,
    # beyond the u |x| already in ``rounding``: see :func:`node_terms`
    nodes: tuple = ()

    def beyond_leading(self, h):
        """The sum of the later terms' sizes at ``h``."""
        h = np.asarray(h, dtype=float)
        with np.errstate(all="ignore"):
            return sum((c * h ** power for c, power in self.next_terms), np.zeros_like(h))

    def rounding_at(self, h):
        """Every term but the truncation: the function values', the nodes' and
        the result's rounding."""
        h = np.asarray(h, dtype=float)
        with np.errstate(all="ignore"):
            rounding = self.rounding / h ** self.order if self.order else self.rounding
            return rounding + self.floor + sum((c * h ** power for c, power in self.nodes),
                                               np.zeros_like(h))

    def error(self, h):
        h = np.asarray(h, dtype=float)
        with np.errstate(all="ignore"):
            return self.truncation * h ** self.power + self.rounding_at(h)

    @property
    def best_h(self) -> float | None:
        """The h minimising the model; None when it has no valley (no
        truncation term, or a rounding that does not grow as h shrinks)."""
        if self.truncation <= 0 or self.order == 0 or self.rounding <= 0:
            return None
        n, p = self.order, self.power
        best = (n * self.rounding / (p * self.truncation)) ** (1.0 / (n + p))
        if not (0 < best < math.inf and math.isfinite(self.truncation)):
            return best  # an overflowing derivative: no search in logs (the ends decide)
        terms = ((self.truncation, p), (self.rounding, -n), *self.nodes)
        rising, falling = _slope_parts(self.nodes, best)
        share = math.log(NODES_NEGLIGIBLE * p) + math.log(self.truncation) + p * math.log(best)
        if max(rising, falling) <= share:
            return best  # the nodes do not move the valley (the usual case)
        return _lowest(terms, best)


NODES_NEGLIGIBLE = 1e-9  # below this share of the slope the nodes leave h* as it is


def _log_sum(logs) -> float:
    logs = list(logs)
    if not logs:
        return -math.inf
    top = max(logs)
    if not math.isfinite(top):  # inf - inf would be NaN
        return top
    return top + math.log(sum(math.exp(v - top) for v in logs))


def _slope_parts(terms, h) -> tuple[float, float]:
    """log of the rising and of the falling part of h dE/dh, E(h) = sum c h^q
    over ``terms`` (c, q): in logs, as h^q overflows a float far out."""
    t = math.log(h)
    rising = _log_sum(math.log(q * c) + q * t for c, q in terms if c > 0 and q > 0)
    falling = _log_sum(math.log(-q * c) + q * t for c, q in terms if c > 0 and q < 0)
    return rising, falling


def _lowest(terms, start) -> float:
    """The h minimising sum c h^q (c >= 0): convex in log h, so the root of
    its slope there, found by bisection in log h from ``start`` outwards."""
    def falls(h):
        rising, falling = _slope_parts(terms, h)
        return falling > rising
    if not 0 < start < math.inf:
        return start
    low, high = start, start
    while not falls(low) and low > 1e-300:
        low /= 16
    while falls(high) and high < 1e300:
        high *= 16
    for _ in range(200):
        middle = math.sqrt(low * high)
        if middle in (low, high):
            break
        low, high = (middle, high) if falls(middle) else (low, middle)
    return math.sqrt(low * high)


def node_terms(method: str, order: int, derivatives, coordinate: float,
               unit_roundoff: float) -> tuple:
    """(coefficient, power) pairs bounding the rounding that the stencil's
    nodes x + c_j h add to the running error E of f at x.

    - The nodes themselves: f is evaluated at fl(x + fl(c_j h)), off by at
      most u (|x| + 2 |c_j| h), where f' is about |f'(x)| + |f''(x)| |c_j| h.
      E charges u |x| |f'(x)| already; the rest is
      u (2 |f'| + |x| |f''|) sum |w_j c_j| h^(1-n) + 2 u |f''| sum |w_j| c_j^2 h^(2-n).
      At x = 5e-46 with h = 1e-8, fl(x + h) = h: all of x is lost, and the
      stencil measures f' at 0, about |f''| |x| away; the last term holds it.
    - The values there: f(x + c_j h) is rounded on its own size, which
      outgrows f(x) when f(x) is about 0 (x**3 at 1e-253 is 0 in float64,
      f(+-h) is h**3): u |f^(k)(x)| sum |w_j| |c_j|^k / k! h^(k-n) for k >= 1.
    """
    if method == "complex_step":  # x + ih: the real part is x itself
        return ()
    st = stencil(method, order)
    sizes = [abs(float(d or 0)) for d in derivatives]
    first, second = (sizes[k] if len(sizes) > k else 0.0 for k in (1, 2))
    pairs = tuple(zip(st.nodes, st.weights))
    u, x = unit_roundoff, abs(float(coordinate))
    spread = float(sum(abs(w * c) for c, w in pairs))
    square = float(sum(abs(w) * c * c for c, w in pairs))
    terms = [(u * (2 * first + x * second) * spread, 1 - order), (2 * u * second * square, 2 - order)]
    terms += [(u * size * float(sum(abs(w) * abs(c) ** k for c, w in pairs)) / math.factorial(k),
               k - order) for k, size in enumerate(sizes) if k >= 1]
    return tuple((c, power) for c, power in terms if c > 0 and math.isfinite(c))


def error_model(method: str, derivatives, *, order: int = 1, value_error: float,
                derivative_error: float = 0.0, unit_roundoff: float,
                coordinate: float = 0.0) -> Model:
    """The model of ``method``'s error against h at a point.

    Parameters
    ----------
    derivatives : sequence
        f^(k)(x) for k = 0, 1, ..., at least up to n + p + EXTRA_TERMS where
        available (shorter lists search fewer terms); an entry None is a
        derivative that cannot be told from 0.
    value_error : float
        Running error bound E of evaluating f at x (R = sum |w_j| E).
    derivative_error : float
        Running error bound of f^(n) at x (complex step's R).
    coordinate : float
        x, the point's coordinate along the stencil (its nodes' rounding).
    """
    mm = method_model(method, order)
    leading = mm.derivative
    truncation, power, k_used, unsure = 0.0, mm.accuracy, 0, ""
    for k in range(leading, min(leading + EXTRA_TERMS, len(derivatives) - 1) + 1):
        if mm.moments[k] == 0:
            continue
        if derivatives[k] is None:  # neither 0 nor a size: the leading term is unknown
            unsure = (f"the derivative of order {k} at the point cannot be told from 0 (its "
                      "enclosure holds 0), so the model cannot say which term leads")
            break
        if derivatives[k] == 0:
            continue
        truncation, power, k_used = truncation_term(mm, 1.0, abs(float(derivatives[k])), k), \
            k - order, k
        break
    later = tuple((moment(method, order, k) * abs(float(derivatives[k])), k - order)
                  for k in range(k_used + 1, len(derivatives)) if k_used and derivatives[k]
                  and mm.moments[k] != 0)
    exact = abs(float(derivatives[order] or 0))
    spread = derivative_error if mm.rounding_power == 0 else \
        float(sum(abs(w) for w in stencil(method, order).weights)) * value_error
    return Model(truncation, power, k_used, rounding_term(mm, 1.0, spread), mm.rounding_power,
                 unit_roundoff * exact, later, unsure,
                 nodes=node_terms(method, order, derivatives, coordinate, unit_roundoff))


def proof_order(method, order=1) -> int:
    """The order of the ball series :func:`holds_below` reads for ``method``
    (where the model's leading derivative is the method's own)."""
    return method_model(method, order).derivative + SPREAD_TERMS


def holds_below(model: Model, method, expr, symbol, about, hs, *, order=1,
                expansions=None) -> float:
    """The largest step of ``hs`` up to which the model is proven to hold,
    by ball enclosures: there the distance of the truncation from the
    model's term is at most MODEL_SPREAD of the model's error, so a slope
    fitted over 1.5 decades is off by 0.15 at most. Above it the function
    changes too much over the stencil for a Taylor term at x to say anything
    (exp(-9 x**6) at -1.367 is 1e-26 there and 0.58 two steps of 1 away).

    The distance is bounded by Taylor's theorem: the method's signed terms
    mu_j f^(j)(x) h^(j-n) for k < j < k + SPREAD_TERMS at the point, and the
    remainder of that order by its Lagrange constant times the enclosure of
    f^(k + SPREAD_TERMS) over the stencil's interval (its overestimate is
    multiplied by a high power of h, so it stays tight). 0 when not even the
    smallest step is proven; infinity where balls cannot tell (the other
    tests decide). The interval of complex step is the real one of radius h,
    a proxy for its disc. ``about`` is the coordinate as a case Value.
    ``expansions`` (:class:`verify.exact.balls.SharedExpansions` of ``expr``
    along ``symbol``) shares the ball series between methods.
    """
    from verify.exact import balls
    from verify.exact.series import NoRule, NotAnalytic
    mm = method_model(method, order)
    k = model.derivative or mm.derivative
    last = k + SPREAD_TERMS
    reach = float(max(abs(v) for v in mm.span))
    if expansions is None:
        expansions = balls.SharedExpansions(expr, symbol, last)
    with balls.precision(30):
        centre = balls.exact_point(about)
        try:  # the signed terms after the model's one, at the point
            terms = [(float(mm.moments[j]),
                      balls.ends(expansions.coefficient(centre, j).mid())[0])
                     for j in range(k + 1, last)]
        except (balls.NoBall, balls.BallNotSmooth, NoRule, NotAnalytic, ArithmeticError,
                ValueError, TypeError):
            return math.inf
    x = balls.ends(centre)[0]

    def holds(h):
        with mpmath.workdps(40):
            t = reach * mpmath.mpf(h)
            pad = (abs(x) + t) * mpmath.mpf(10) ** -30
            ends = (x - t - pad, x + t + pad)
        with balls.precision(30):
            try:
                ball = expansions.coefficient(balls.span(*ends), last)
            except (balls.BallNotSmooth, ArithmeticError, ValueError):
                return False
            rest = balls.max_abs(ball)
        with mpmath.workdps(30):
            h = mpmath.mpf(h)
            deviation = abs(sum(mu * d * h ** (j - order)
                                for j, (mu, d) in enumerate(terms, k + 1))) \
                + mm.remainders[last] * h ** (last - order) * rest
            return deviation <= MODEL_SPREAD * mpmath.mpf(float(model.error(float(h))))

    try:
        if holds(float(hs[-1])):
            return math.inf
        if not holds(float(hs[0])):
            return 0.0
        good, bad = 0, len(hs) - 1  # bisection: the distance grows with h
        while bad - good > 1:
            middle = (good + bad) // 2
            good, bad = (middle, bad) if holds(float(hs[middle])) else (good, middle)
        return float(hs[good])
    except (balls.NoBall, NoRule, NotAnalytic, TypeError):
        return math.inf
