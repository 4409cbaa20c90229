"""Numeric Taylor coefficients: the engine the ``taylor`` check judges.

Nothing of SymPy's calculus is used: the Cauchy integral
c_k = (1/2 pi i) \\oint f(z) (z - a)^(-k-1) dz on circles inside the radius
of convergence, by an FFT of float64 values [1]_; per k the circle with the
smallest predicted error is kept. Functions with abs, Max or Min are not
analytic in the complex plane and use ``mpmath.taylor`` (real steps). Each
coefficient carries its predicted error; the exact coefficients it is
compared with come from :mod:`verify.exact.taylor`.

References
----------
.. [1] Fornberg, B. "Numerical differentiation of analytic functions",
   ACM Trans. Math. Software 7 (1981) 512-526.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from verify.core.functions import is_analytic
from verify.core.tolerances import SAFETY

UNIT = 2.0 ** -53

__all__ = ["NumericCoefficient", "numeric_coefficients"]


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
    if len(runs) == 1:
        # one circle alone is not checked by another: with the radius of convergence
        # overestimated (a root test on sparse coefficients, tanh(sin(x**3)) at 2e-37)
        # it may enclose poles and give any numbers, so its error is not bounded
        r, coefficients, _, rounding = runs[0]
        runs = [(r, coefficients, np.full(n + 1, math.inf), rounding)]
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
            # mpmath chops by default: every term below its tolerance (1e-30 at 30
            # digits) became 0, so exp(x) at -731 (3e-318) had coefficients 0, 0, ...
            estimates.append(mpmath.taylor(fn, mpmath.mpf(about), n, chop=False))
    return [NumericCoefficient(float(lo), float(abs(lo - hi)), UNIT * float(abs(lo)), 0.0,
                               "mpmath_taylor") for lo, hi in zip(*estimates)]
