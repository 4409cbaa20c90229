"""Exact values to the last float64 digit: recompute at doubled precision.

A formula evaluated at ``dps`` digits may cancel (1 - tanh(10)**2 loses eight
digits), so a value is recomputed at twice the digits; when the two agree to
60 bits (seven more than float64 holds) the later one is right to the last
float64 digit, else precision doubles again, up to ``MAX_DPS``.

Examples
--------
>>> import mpmath
>>> def one_minus_tanh_squared(dps):
...     with mpmath.workdps(dps):
...         return 1 - mpmath.tanh(10) ** 2
>>> float(until_stable(one_minus_tanh_squared))
8.244614455767397e-09
"""
from __future__ import annotations

import mpmath

START_DPS = 40
MAX_DPS = 640
AGREE_BITS = 60


def until_stable(compute, *, start: int = START_DPS, limit: int = MAX_DPS):
    """``compute(dps)`` at ``start``, twice that, ... digits until two successive
    values agree to AGREE_BITS relative bits or ``limit`` is reached; the last value."""
    dps, previous = start, None
    while True:
        current = compute(dps)
        if (previous is not None and agree(previous, current)) or dps >= limit:
            return current
        previous, dps = current, dps * 2


def agree(a, b) -> bool:
    """|a - b| within AGREE_BITS relative bits of the larger."""
    scale = max(abs(a), abs(b))
    return scale == 0 or abs(a - b) <= scale * mpmath.mpf(2) ** -AGREE_BITS
