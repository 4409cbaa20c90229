"""The float64 rounding bound of a reverse-mode (backprop) value.

Backprop and the exact derivative differ only by rounding, so a value is
within ``SAFETY * (running + steps) + point`` of the exact one, where
``running`` is the running error bound of evaluating the derivative in
float64: in forward mode along f itself for a first partial derivative
(:mod:`verify.bounds.tangent_rounding`), else by the exact derivative
formula (:func:`verify.bounds.rounding.running_error`); ``steps``
is ``2 n u A``, with ``n`` the rounding steps of the graph and ``A`` the
adjoint recomputed with every local derivative replaced by its absolute
value (:func:`magnitudes`: cancellation between paths does not hide the
magnitudes that were rounded); ``point`` is the shift from the written
point to its nearest float (:func:`verify.bounds.predicted.representation`).
The same bound judges a written 16- or 17-digit number as a float64 result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from verify.bounds.predicted import representation
from verify.bounds.rounding import running_error
from verify.bounds.tangent_rounding import first_partial_rounding
from verify.core.tolerances import SAFETY
from verify.exact.precision import number_text
from verify.numeric.backprop import propagate
from verify.numeric.differences import Difference, unit_roundoff

U64 = unit_roundoff(np.float64)


@dataclass(frozen=True)
class BackpropBound:
    """The rounding bound of a backprop value (see the module docstring)."""

    total: float
    running: float
    steps: float
    representation: float
    kind: str = "rounding"

    def describe(self) -> str:
        return (f"bound {self.total:.3g} = {SAFETY:g} x (running error {self.running:.3g} "
                f"+ backward steps {self.steps:.3g}) + point {self.representation:.3g}")


def magnitudes(nodes) -> dict:
    """The adjoints again with |local derivatives|, keyed by id(node): the size of
    what the backward pass rounds, before any cancellation."""
    with np.errstate(all="ignore"):  # inf * 0 where the values overflowed: NaN, no warning
        return propagate(nodes, np.abs)


def formula_running_error(engine, orders, floats) -> float:
    """The running error bound of the derivative ``orders`` evaluated in float64;
    0 where a function has no rounding rule (the other terms stand alone).

    A first partial derivative is evaluated in forward mode by the tangent
    walk of f (:mod:`verify.bounds.tangent_rounding`), every variable's at
    once; where f has a switch (no tangent rule), and for other orders, the
    formed derivative's formula is walked."""
    try:
        if sum(orders) == 1 and max(orders) == 1:
            return first_partial_rounding(engine, floats, list(orders).index(1), U64)
        _, errors = running_error(engine.derivative(orders), engine.variables, [floats], U64,
                                  engine.data)
        return float(errors[0])
    except (ValueError, TypeError):
        return 0.0


def backprop_bound(engine, orders, point, magnitude, operations) -> BackpropBound:
    """The bound on a backprop value of the derivative ``orders`` at ``point``
    (Values), given the node's ``magnitude`` and the graph's ``operations``."""
    running = formula_running_error(engine, orders, [p.float64 for p in point])
    steps = 2.0 * operations * U64 * float(np.max(magnitude))
    shift = representation(engine, orders, point)
    return BackpropBound(SAFETY * (running + steps) + shift, running, steps, shift)


def ulps_from_exact(value, exact) -> str:
    """How far a float64 backprop ``value`` is from ``exact``, in ulps of the exact
    value's nearest float (the message of a backprop row)."""
    if not math.isfinite(value):
        return f"backprop gave {value}"
    nearest = float(exact)
    if nearest == 0:
        return "exact 0, backprop 0" if value == 0 else f"exact 0, backprop {value:.3g}"
    count = abs(value - nearest) / float(np.spacing(abs(nearest)))
    count = round(count) if count < 1e15 else count
    return f"{count:.3g} ulps from the exact value" if isinstance(count, float) else \
        f"{count} ulp{'s' if count != 1 else ''} from the exact value"


def pass_difference(method, value, exact, nodes, starts) -> Difference:
    """A float64 pass's ``value`` (backprop, forward mode) as a Difference: its
    distance from ``exact`` in ulps; or, where it is NaN or infinite because
    float64 cannot run the graph on the way from one of ``starts`` to the
    output (:func:`float64_breakdown`), a method not applied here (a skip)."""
    value = float(value)
    breakdown = "" if math.isfinite(value) else next(
        filter(None, (float64_breakdown(nodes, start, exact) for start in starts)), "")
    return Difference(value, None, method, 1, breakdown or ulps_from_exact(value, exact),
                      applied=not breakdown)


def float64_breakdown(nodes, start, exact) -> str:
    """Why float64 cannot run the graph here ("" when it can): a node on the
    way from ``start`` to the output whose value overflows (exp(-x) at
    x = -800 inside a sigmoid) or is a NaN made of an overflow; or an exact
    derivative past float64's largest number. A NaN or an infinity of the pass
    is then the arithmetic's limit, not the graph's fault: its row is a skip,
    as a finite difference beyond float64 is. A NaN or an infinity that finite
    values made (a local derivative rule's) stays an error."""
    overflowed = {}
    for node in nodes:  # in order: inputs first
        value = np.asarray(node.value, dtype=float)
        if np.any(np.isinf(value)):
            overflowed[id(node)] = "overflows float64"
        elif np.any(np.isnan(value)) and any(id(p) in overflowed for p in node.parents):
            overflowed[id(node)] = "is a NaN made of an overflow"
    for node in _on_the_way(nodes, start):
        if id(node) in overflowed:
            return (f"float64 cannot run the graph here: node {node.name}'s value "
                    f"{overflowed[id(node)]}, so the float64 pass gave NaN or infinity "
                    "(not applied)")
    if not mpmath.isfinite(exact) or abs(exact) > np.finfo(np.float64).max:
        return (f"the exact derivative {number_text(exact, 6)} is beyond float64's range, so "
                "backprop cannot give it (not applied)")
    return ""


def _on_the_way(nodes, start) -> list:
    """The nodes that depend on ``start`` and that the output depends on: what
    ``start``'s adjoint passes through. An input off that way that overflowed
    counts only through a node on it (whose value it then makes infinite or
    NaN): Min(x, exp(y)) at y = 800 is x, and a NaN for d/dx there is a rule's."""
    after = {id(start)}
    for node in nodes:
        if any(id(p) in after for p in node.parents):
            after.add(id(node))
    before = {id(nodes[-1])}
    for node in reversed(nodes):
        if id(node) in before:
            before.update(id(p) for p in node.parents)
    return [node for node in nodes if id(node) in after and id(node) in before]
