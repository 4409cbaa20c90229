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

import numpy as np

from verify.bounds.predicted import representation
from verify.bounds.rounding import running_error
from verify.bounds.tangent_rounding import first_partial_rounding
from verify.core.tolerances import SAFETY
from verify.numeric.backprop import propagate
from verify.numeric.differences import unit_roundoff

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
