"""Taylor coefficients, partial sums and the Lagrange remainder bound.

- Exact coefficients c_0..c_n about ``a`` come from truncated power-series
  arithmetic (:mod:`verify.exact.series`) over Q[constants]: exact, and fast even
  for compositions such as exp(sin(x)) where SymPy's ``series`` takes
  minutes. A function without a series rule (a sum over data rows) falls
  back to SymPy derivatives, c_k = f^(k)(a)/k!, evaluated by the exact engine.
- Numeric coefficients use nothing of SymPy's calculus: the Cauchy integral
  c_k = (1/2 pi i) \\oint f(z) (z - a)^(-k-1) dz on circles inside the radius
  of convergence, by an FFT of float64 values [1]_; per k the circle with the
  smallest predicted error is kept. Functions with abs, Max or Min are not
  analytic in the complex plane and use ``mpmath.taylor`` (real steps).
- The Lagrange remainder |f(x) - P_n(x)| <= max |f^(n+1)| |x - a|^(n+1)/(n+1)!
  takes the maximum over [a, x] rigorously: the series arithmetic run in
  interval arithmetic about sub-intervals of [a, x] encloses
  f^(n+1)(xi)/(n+1)! for every xi in them. (The SymPy derivative of order
  n + 1 that :func:`verify.exact.intervals.interval_max_abs` would need swells
  with n; the interval series does not. It remains the fallback for data
  sums.)

The radius of convergence is in :mod:`verify.exact.singularities`.

References
----------
.. [1] Fornberg, B. "Numerical differentiation of analytic functions",
   ACM Trans. Math. Software 7 (1981) 512-526.
.. [2] Apostol, T. M. "Calculus", vol. 1, sec. 7.7 (Lagrange's remainder).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy
from mpmath import iv

from verify.core.tolerances import SAFETY
from verify.exact.symbolic import DerivativeTooLarge, NotDefined
from verify.exact.intervals import NotSmooth, ends_of, interval_max_abs, widened
from verify.core.functions import is_analytic
from verify.exact.series import Interval, NoRule, NotAnalytic, Record, Ring, expand
from verify.exact.precision import START_DPS, until_stable

DPS = START_DPS
UNIT = 2.0 ** -53
INTERVAL_DPS = 30

__all__ = ["ExactSeries", "NotAnalytic", "NumericCoefficient", "exact_coefficients",
           "numeric_coefficients", "enclosures", "remainder_bounds", "partial_sum"]


# --- exact coefficients ---------------------------------------------------------------

@dataclass(frozen=True)
class ExactSeries:
    """Exact Taylor coefficients: ``values`` (mpf, right to the last float64
    digit at least) and, for the series route, ``elements`` of Q[atoms]."""

    values: tuple
    route: str
    elements: tuple = ()
    atoms: tuple = ()  # ((generator symbol, SymPy value), ...)

    def expression(self, k: int) -> sympy.Expr:
        """c_k as a SymPy number (series route only)."""
        if not self.elements:
            raise LookupError("the derivative route keeps values only")
        return self.elements[k].as_expr().xreplace(dict(self.atoms))


def exact_coefficients(engine, about, order: int) -> ExactSeries:
    """c_0..c_order of the engine's one-variable function about ``about`` (a Value).

    Raises
    ------
    NotAnalytic
        When ``about`` is a pole, a branch point or a kink, or the function
        has no real value there.
    """
    x = engine.symbols[0]
    try:
        record = Record()
        expand(engine.expression, x, record.number(about.exact), 0, record)
        kind = Ring(record)
        elements = expand(engine.expression, x, kind.number(about.exact), order, kind)
    except NoRule:
        return _derivative_route(engine, about, order)
    atoms = tuple(kind.atoms.items())
    values = tuple(_element_value(e, atoms) for e in elements)
    return ExactSeries(values, "series arithmetic (exact, Q[constants])", tuple(elements), atoms)


def _derivative_route(engine, about, order):
    values = []
    for k in range(order + 1):
        try:
            with mpmath.workdps(DPS):
                values.append(engine.value((k,), [about]) / mpmath.factorial(k))
        except (NotDefined, ZeroDivisionError, ValueError) as exc:
            raise NotAnalytic(f"the derivative of order {k} has no value here ({exc})") from None
    return ExactSeries(tuple(values), "SymPy derivatives f^(k)(a)/k!")


def _element_value(element, atoms):
    if not element:
        return mpmath.mpf(0)

    def at(dps):
        with mpmath.workdps(dps + 10):
            points = [mpmath.mpf(value.evalf(dps + 20)._mpf_) for _, value in atoms]
            return mpmath.fsum(mpmath.mpf(int(c.numerator)) / int(c.denominator)
                               * mpmath.fprod(p ** e for p, e in zip(points, monomial))
                               for monomial, c in element.terms())
    return until_stable(at)


def partial_sum(values, about, x, n):
    """P_n(x) = sum_{k<=n} c_k (x - a)^k in mpmath (coefficients mpf)."""
    t = x - about
    return mpmath.fsum(values[k] * t ** k for k in range(n + 1))


# --- numeric coefficients -------------------------------------------------------------

@dataclass(frozen=True)
class NumericCoefficient:
    """A numerically computed c_k and its predicted error (before SAFETY)."""

    value: float
    truncation: float   # aliasing of the FFT, or the precision difference
    rounding: float
    radius: float       # the circle used (0 for mpmath.taylor)
    method: str

    @property
    def bound(self) -> float:
        return SAFETY * (self.truncation + self.rounding)

    def describe(self) -> str:
        where = f" on |z - a| = {self.radius:.3g}" if self.radius else ""
        return (f"bound {self.bound:.3g} = {SAFETY:g} x (aliasing {self.truncation:.3g} + "
                f"rounding {self.rounding:.3g}) [estimate{where}]")


def numeric_coefficients(engine, about: float, order: int, radius: float):
    """c_0..c_order without SymPy's calculus: Cauchy integral + FFT, or mpmath.taylor."""
    if is_analytic(engine.expression):
        found = _cauchy(engine, about, order, radius)
        if found is not None:
            return found
    return _mp_taylor(engine, about, order)


def _circles(radius):
    if math.isfinite(radius):
        return [radius * f for f in (0.125, 0.25, 0.5, 0.75, 0.875)]
    return [2.0 ** j for j in range(-2, 8)]


def _on_circle(compiled, about, r, count):
    z = about + r * np.exp(2j * np.pi * np.arange(count) / count)
    return np.asarray(compiled.numpy(z), dtype=complex) * np.ones(count)


def _cauchy(engine, about, n, radius):
    compiled = engine.compiled((0,))
    size = 256  # many points: aliasing falls like (r/R)^size, rounding grows like log(size)
    while size < 4 * (n + 1):
        size *= 2
    k = np.arange(n + 1)
    weight = sympy.count_ops(engine.expression) + 1 + 3 * math.log2(size)
    runs = []
    for r in _circles(radius):
        with np.errstate(all="ignore"):
            y = _on_circle(compiled, about, r, size)
            if not np.all(np.isfinite(y)):
                continue
            scaled = np.fft.fft(y) / size  # c_k r^k, k = 0..size-1
            coefficients = scaled[: n + 1].real / r ** k
            big = min(2 * r, (r + radius) / 2)
            outer = _on_circle(compiled, about, big, 4 * size)
            peak = float(np.max(np.abs(outer))) if np.all(np.isfinite(outer)) else math.inf
            q = (r / big) ** size
            aliasing = peak * q / (1 - q) / big ** k
            # each value: rounding in f, and the rounding of the point a + z itself, which
            # moves f by up to |f'| u |a + z|, |f'| <= sum k |c_k| r^(k-1) on the circle
            slope = float(np.sum(np.arange(size) * np.abs(scaled))) / r
            point = UNIT * (abs(about) + r) * slope
            rounding = (weight * UNIT * float(np.max(np.abs(y))) + point) / r ** k
        if not np.all(np.isfinite(coefficients)):
            continue
        if runs and np.any(np.abs(coefficients - runs[-1][1]) >
                           SAFETY * (aliasing + rounding + runs[-1][2] + runs[-1][3])):
            break  # this circle crosses a branch cut or a singularity: stop growing
        runs.append((r, coefficients, aliasing, rounding))
    if not runs:
        return None
    result = []
    for i in range(n + 1):
        r, c, a, e = min(runs, key=lambda run: run[2][i] + run[3][i])
        result.append(NumericCoefficient(float(c[i]), float(a[i]), float(e[i]), r, "cauchy_fft"))
    return result


def _mp_taylor(engine, about, n):
    fn = engine.compiled((0,)).mp
    estimates = []
    for dps in (30, 50):
        with mpmath.workdps(dps):
            estimates.append(mpmath.taylor(fn, mpmath.mpf(about), n))
    return [NumericCoefficient(float(lo), float(abs(lo - hi)), UNIT * float(abs(lo)), 0.0,
                               "mpmath_taylor") for lo, hi in zip(*estimates)]


# --- remainder bounds -----------------------------------------------------------------

def enclosures(engine, edges, order: int):
    """For each piece [edges[i], edges[i+1]]: upper bounds of |c_m(xi)|, m = 0..order,
    over every xi in the piece (floats, ``inf`` where the piece is not smooth)."""
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
            except (NotSmooth, NotAnalytic, ZeroDivisionError, ValueError):
                pieces.append([math.inf] * (order + 1))
            except NoRule:
                pieces.append(_symbolic_enclosure(engine, lo - pad, hi + pad, order))
    finally:
        iv.dps = saved
    return pieces


def _upper(c):
    lo, hi = ends_of(c)
    value = float(max(abs(lo), abs(hi)))
    return value if mpmath.isfinite(lo) and mpmath.isfinite(hi) else math.inf


def _symbolic_enclosure(engine, lo, hi, order):
    out = []
    for m in range(order + 1):
        try:
            top = interval_max_abs(engine.nth(m), engine.variables, [(lo, hi)], engine.data)
            out.append(float(top / mpmath.factorial(m)))
        except (NotSmooth, ValueError, TypeError, DerivativeTooLarge):
            out.append(math.inf)
    return out


def remainder_bounds(engine, about, x, order: int, pieces: int = 8):
    """Lagrange bounds on |f(x) - P_n(x)| for n = 0..order (floats; mpf ``about``, ``x``)."""
    edges = [about + (x - about) * i / pieces for i in range(pieces + 1)]
    tops = [max(column) for column in zip(*enclosures(engine, edges, order + 1))]
    distance = float(abs(x - about))
    return [tops[n + 1] * distance ** (n + 1) * (1 + 1e-12) if distance else 0.0
            for n in range(order + 1)]
