"""Taylor coefficients, partial sums and the Lagrange remainder bound.

- Exact coefficients c_0..c_n about ``a`` come from truncated power-series
  arithmetic (:mod:`verify.exact.series`) over Q[constants]: exact, and fast even
  for compositions such as exp(sin(x)) where SymPy's ``series`` takes
  minutes. A function without a series rule (a sum over data rows) falls
  back to SymPy derivatives, c_k = f^(k)(a)/k!, evaluated by the exact engine.
- The Lagrange remainder |f(x) - P_n(x)| <= max |f^(n+1)| |x - a|^(n+1)/(n+1)!
  takes the maximum over [a, x] rigorously, from the enclosures of
  :func:`verify.exact.derivatives.coefficient_enclosures` over sub-intervals
  of [a, x].

The numeric coefficients the ``taylor`` check judges are computed in
:mod:`verify.numeric.taylor_coefficients`; the radius of convergence is in
:mod:`verify.exact.singularities`.

References
----------
.. [1] Apostol, T. M. "Calculus", vol. 1, sec. 7.7 (Lagrange's remainder).
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy

from verify.exact.derivatives import coefficient_enclosures
from verify.exact.symbolic import NotDefined
from verify.exact.series import NoRule, NotAnalytic, Record, Ring, expand
from verify.exact.precision import START_DPS, evalf_value, until_stable

DPS = START_DPS

__all__ = ["ExactSeries", "NotAnalytic", "exact_coefficients", "remainder_bounds",
           "partial_sum"]


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
            points = [evalf_value(value, dps + 20) for _, value in atoms]
            return mpmath.fsum(mpmath.mpf(int(c.numerator)) / int(c.denominator)
                               * mpmath.fprod(p ** e for p, e in zip(points, monomial))
                               for monomial, c in element.terms())
    return until_stable(at)


def partial_sum(values, about, x, n):
    """P_n(x) = sum_{k<=n} c_k (x - a)^k in mpmath (coefficients mpf)."""
    t = x - about
    return mpmath.fsum(values[k] * t ** k for k in range(n + 1))


# --- remainder bounds -----------------------------------------------------------------

def remainder_bounds(engine, about, x, order: int, pieces: int = 8):
    """Lagrange bounds on |f(x) - P_n(x)| for n = 0..order (floats; mpf ``about``, ``x``)."""
    edges = [about + (x - about) * i / pieces for i in range(pieces + 1)]
    tops = [max(column) for column in zip(*coefficient_enclosures(engine, edges, order + 1))]
    distance = float(abs(x - about))
    return [tops[n + 1] * distance ** (n + 1) * (1 + 1e-12) if distance else 0.0
            for n in range(order + 1)]
