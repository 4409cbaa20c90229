"""The radius of convergence: the distance to the nearest complex singularity.

The singular pieces of an expression are read off its tree: zeros of
denominators and of the arguments of log and of non-integer powers (poles
and branch points), the poles of tan and tanh, the branch points +-i of
atan and +-1 of asin and acos, and, for abs, Max and Min, the kinks on the
real line (where the series stops describing the function). Where a
piece's argument is a rational function, NumPy finds the roots of its
numerator; each candidate is then tested for being removable (sin(x)/x at
0) by the Fourier modes of f on a small circle about it. Where a piece is
rational in x but rational in w = exp(c*x) (sigmoid: 1 + exp(-x) = 0), the
roots in w give x = (log w + 2 pi i n) / c for the n near the centre. Roots
are found with mpmath at 60 digits, so the radius is known to far more than
float64 (``Radius.exact``) and a written radius (``pi``) can be judged equal.
Where a piece is neither, the radius is estimated from the coefficients by
the root test, and says so.

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
    exact: object = None  # mpf at ROOT_DPS digits (or +inf) when found from roots, else None

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


ROOT_DPS = 60


def radius_of_convergence(engine, about, coefficients=None) -> Radius:
    """Distance from ``about`` (a float or an mpf) to the nearest singularity.

    ``coefficients()`` (mpf values c_0..c_n, called only when needed) give
    the estimate used when a piece's singularities cannot be solved for.
    """
    x = engine.symbols[0]
    found, unsolved = [], False
    with mpmath.workdps(ROOT_DPS):
        centre = mpmath.mpf(about)
        for target, values, real_only in _pieces(engine.expression, x, float(about)):
            roots = _solve(target, x, values, centre)
            if roots is None:
                unsolved = True
                continue
            found.extend((z, real_only) for z in roots
                         if not real_only or abs(z.imag) < 1e-9 * max(1, abs(z)))
        unique = {(mpmath.nstr(z.real, 25), mpmath.nstr(z.imag, 25)): (z, k) for z, k in found}
        candidates = sorted(unique.values(), key=lambda item: abs(item[0] - centre))
        best, nearest = mpmath.inf, []
        for z, kink in candidates:
            distance = abs(z - centre)
            if distance > best * (1 + mpmath.mpf(10) ** -20):
                break
            if kink or _singular(engine, complex(z)):
                best = distance
                nearest.append(complex(z))
    nearest.sort(key=lambda z: (z.real, -z.imag))
    how = "from SymPy/mpmath roots"
    if unsolved:
        estimate = _estimate(coefficients()) if coefficients else math.inf
        if estimate < best:
            return Radius(estimate, (), "estimated from the coefficients (root test)")
        how += "; some pieces could not be solved, so this is an upper bound"
        return Radius(float(best), tuple(nearest), how)
    return Radius(float(best), tuple(nearest), how, exact=best)


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


def _solve(g, x, values, centre):
    """Complex roots (mpc) of g(z) = v for v in values, or None when g is neither
    rational in x nor rational in exp(c*x)."""
    roots = []
    for v in values:
        found = _polynomial_roots(sympy.together(g - v).as_numer_denom()[0], x)
        if found is None:
            found = _exponential_roots(g - v, x, centre)
        if found is None:
            return None
        roots.extend(found)
    return roots


def _polynomial_roots(numerator, x):
    try:
        poly = sympy.Poly(numerator, x)
    except sympy.PolynomialError:
        return None
    if poly.degree() <= 0:
        return []
    try:
        coefficients = [mpmath.mpc(c.evalf(ROOT_DPS + 10)) if not c.is_Rational else
                        mpmath.mpf(c.p) / c.q for c in poly.all_coeffs()]
    except TypeError:  # coefficients hold data columns
        return None
    try:
        found = mpmath.polyroots(coefficients, maxsteps=200, extraprec=2 * ROOT_DPS)
    except mpmath.libmp.NoConvergence:
        found = [mpmath.mpc(z) for z in np.roots([complex(c) for c in coefficients])]
    return [mpmath.mpc(z) for z in found]


def _exponential_roots(h, x, centre, reach=4):
    """Roots of h = 0 where h is rational in w = exp(c*x), c real: each root w_k
    gives x = (log w_k + 2 pi i n) / c, for the n whose roots lie nearest ``centre``."""
    exps = [e for e in h.atoms(sympy.exp) if e.has(x)]
    if not exps:
        return None
    slopes = []
    for e in exps:
        argument = sympy.expand(e.args[0])
        slope = argument.coeff(x, 1)
        if not (slope.is_number and slope.is_real and slope != 0) or \
                (argument - slope * x).has(x):
            return None
        slopes.append((e, slope, argument - slope * x))
    c = min((slope for _, slope, _ in slopes), key=abs)
    w = sympy.Dummy("w")
    replaced = {}
    for e, slope, rest in slopes:
        power = slope / c
        if not power.is_Integer:
            return None
        replaced[e] = sympy.exp(rest) * w ** power
    in_w = h.xreplace(replaced)
    if in_w.has(x):
        return None
    ws = _polynomial_roots(sympy.together(in_w).as_numer_denom()[0], w)
    if ws is None:
        return None
    c = mpmath.mpf(sympy.Rational(c)) if c.is_Rational else mpmath.mpf(c.evalf(ROOT_DPS + 10))
    roots = []
    for wk in ws:
        if abs(wk) < mpmath.mpf(10) ** (-ROOT_DPS // 2):
            continue  # w = exp(c x) is never 0
        logarithm = mpmath.log(wk)
        middle = int(mpmath.nint((c * mpmath.mpc(centre).imag - logarithm.imag) / (2 * mpmath.pi)))
        roots.extend((logarithm + 2j * mpmath.pi * n) / c
                     for n in range(middle - reach, middle + reach + 1))
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
