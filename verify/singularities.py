"""The radius of convergence: the distance to the nearest complex singularity.

The singular pieces of an expression are read off its tree: zeros of
denominators and of the arguments of log and of non-integer powers (poles
and branch points), the poles of tan and tanh, the branch points +-i of
atan and +-1 of asin and acos, and, for abs, Max and Min, the kinks on the
real line (where the series stops describing the function). Where a
piece's argument is a rational function, NumPy finds the roots of its
numerator; each candidate is then tested for being removable (sin(x)/x at
0) by the Fourier modes of f on a small circle about it. Where a piece is
not rational (1 + exp(-x) = 0), the radius is estimated from the
coefficients by the root test, and says so.

References
----------
.. [1] Henrici, P. "Applied and Computational Complex Analysis", vol. 1,
   Wiley (1974), sec. 2.2 (the radius of convergence, Cauchy-Hadamard).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

@dataclass(frozen=True)
class Radius:
    """The radius of convergence about ``a``: ``value`` (``inf`` for an entire
    function), the singularities at that distance and how it was found."""

    value: float
    nearest: tuple = ()
    how: str = "singularities"

    def describe(self) -> str:
        if not math.isfinite(self.value):
            return "infinite: no singularity in the complex plane (an entire function)"
        shown = ", ".join(_complex(z) for z in self.nearest)
        where = f" (nearest singularities {shown})" if shown else ""
        return f"{self.value:.6g}{where}, {self.how}"

    def outside(self, distance: float) -> bool:
        return distance > self.value * (1 + 1e-12)


def _complex(z):
    z = complex(z)
    if abs(z.imag) < 1e-12 * max(1.0, abs(z)):
        return f"{z.real:.6g}"
    if abs(z.real) < 1e-12 * max(1.0, abs(z)):
        return f"{z.imag:.6g}i"
    return f"{z.real:.6g}{z.imag:+.6g}i"


def radius_of_convergence(engine, about: float, coefficients=None) -> Radius:
    """Distance from ``about`` to the nearest singularity of the function.

    ``coefficients()`` (mpf values c_0..c_n, called only when needed) give
    the estimate used when a piece's singularities cannot be solved for.
    """
    x = engine.symbols[0]
    found, unsolved = [], False
    for target, values, real_only in _pieces(engine.expression, x, about):
        roots = _solve(target, x, values)
        if roots is None:
            unsolved = True
            continue
        found.extend((z, real_only) for z in roots if not real_only or abs(z.imag) < 1e-9)
    candidates = sorted({(round(z.real, 12), round(z.imag, 12)): (z, k) for z, k in found}.values(),
                        key=lambda item: abs(item[0] - about))
    best = math.inf
    nearest = []
    for z, kink in candidates:
        distance = abs(z - about)
        if distance > best * (1 + 1e-9):
            break
        if kink or _singular(engine, z):
            best = distance
            nearest.append(z)
    how = "from SymPy/NumPy roots"
    if unsolved:
        estimate = _estimate(coefficients()) if coefficients else math.inf
        if estimate < best:
            return Radius(estimate, (), "estimated from the coefficients (root test)")
        how += "; some pieces could not be solved, so this is an upper bound"
    return Radius(best, tuple(nearest), how)


def _pieces(expr, x, about):
    """(g, values, kink) for every piece singular where g(z) is one of ``values``."""
    half = sympy.pi / 2
    for node in sympy.preorder_traversal(expr):
        if not getattr(node, "args", ()) or not node.has(x):
            continue
        name = type(node).__name__
        if node.is_Pow:
            base, p = node.args
            if not (p.is_Integer and p >= 0):
                yield base, [0], False
        elif name == "log":
            yield node.args[0], [0], False
        elif name in ("tan", "tanh"):
            u0 = complex(node.args[0].subs(x, about).evalf(20))
            scale = sympy.I if name == "tanh" else 1
            middle = round((u0.imag if name == "tanh" else u0.real) / math.pi)
            poles = [scale * (half + k * sympy.pi) for k in range(middle - 6, middle + 7)]
            yield node.args[0], poles, False
        elif name == "atan":
            yield node.args[0], [sympy.I, -sympy.I], False
        elif name in ("asin", "acos"):
            yield node.args[0], [1, -1], False
        elif name == "Abs":
            yield node.args[0], [0], True
        elif name in ("Max", "Min"):
            for i, a in enumerate(node.args):
                for b in node.args[i + 1:]:
                    yield a - b, [0], True


def _solve(g, x, values):
    """Complex roots of g(z) = v for v in values, or None when g is not rational in x."""
    roots = []
    for v in values:
        numerator = sympy.together(g - v).as_numer_denom()[0]
        try:
            poly = sympy.Poly(numerator, x)
        except sympy.PolynomialError:
            return None
        if poly.degree() <= 0:
            continue
        try:
            coefficients = [complex(c.evalf(30)) for c in poly.all_coeffs()]
        except TypeError:  # coefficients hold data columns
            return None
        roots.extend(complex(z) for z in np.roots(coefficients))
    return roots


def _singular(engine, z) -> bool:
    """False for a removable singularity. On a small circle about z an analytic
    function has (almost) no negative Fourier modes; a pole, a branch cut or an
    essential singularity has them at the size of the positive ones."""
    compiled = engine.compiled((0,))
    fn, count, modes = compiled.mp, 32, []
    # first in floats: near an essential singularity mpmath would work on numbers like e^(1e6)
    ring = z + 1e-6 * np.exp(1j * np.pi * (2 * np.arange(count) + 1) / count)
    with np.errstate(all="ignore"):
        rough = np.asarray(compiled.numpy(ring), dtype=complex)
    if not np.all(np.isfinite(rough)) or np.max(np.abs(rough)) > 1e30:
        return True
    with mpmath.workdps(80):
        center, eps = mpmath.mpc(z.real, z.imag), mpmath.mpf("1e-6")
        try:
            values = [mpmath.mpc(fn(center + eps * mpmath.expjpi(mpmath.mpf(2 * j + 1) / count)))
                      for j in range(count)]
        except (ZeroDivisionError, ValueError, TypeError):
            return True
        if any(not mpmath.isfinite(abs(v)) for v in values):
            return True
        for m in range(-count // 2 + 1, count // 2):
            if m:
                modes.append((m, abs(mpmath.fsum(v * mpmath.expjpi(-mpmath.mpf(m * (2 * j + 1)) / count)
                                                 for j, v in enumerate(values)))))
    negative = max(size for m, size in modes if m < 0)
    positive = max(size for m, size in modes if m > 0)
    return negative > mpmath.mpf(10) ** -8 * max(positive, negative) and negative > 0


def _estimate(values):
    """1/|c_k|^(1/k) at the last nonzero coefficient (k >= 1); inf for a polynomial."""
    for k in range(len(values) - 1, 0, -1):
        if values[k] != 0:
            return float(abs(values[k]) ** (-mpmath.mpf(1) / k))
    return math.inf
