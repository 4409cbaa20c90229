"""What the checks share: the numeric function, the point's problems, dtypes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compiled import Compiled
from ..intervals import NotSmooth, interval_max_abs


@dataclass(frozen=True)
class RunOptions:
    """Options of a run that reach every case (from the CLI or the API)."""

    allow_import: bool = False
    allow_outside_data: bool = False
    timeout: float = 60.0


def dtype_of(case):
    return np.float32 if case.dtype == "float32" else np.float64


def numeric_function(engine, dtype=np.float64):
    """``f(points)`` with points of shape (k, d): the float (or complex) side."""
    compiled = Compiled(engine.expression, engine.variables, engine.data)

    def f(points):
        points = np.asarray(points)
        if points.dtype.kind == "f":
            points = points.astype(dtype)
        return np.asarray(compiled.numpy(*points.T))
    return f


def smooth_between(engine, orders, index, floats):
    """``admissible(lo, hi)`` for the difference engine: no kink, pole or
    domain edge of the derivative ``orders`` between lo and hi along ``index``."""
    expr = engine.derivative(orders)

    def admissible(lo, hi):
        box = [(x, x) for x in floats]
        box[index] = (min(lo, hi), max(lo, hi))
        try:
            interval_max_abs(expr, engine.variables, box, engine.data, dps=20)
        except NotSmooth:
            return False
        except (ValueError, TypeError):
            return True  # no interval rule: the finite-value test still guards
        return True
    return admissible
