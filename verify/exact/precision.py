"""Exact values to the last float64 digit: recompute at doubled precision.

A formula evaluated at ``dps`` digits may cancel (1 - tanh(10)**2 loses eight
digits), so a value is recomputed at twice the digits; when the two agree to
60 bits (seven more than float64 holds) the later one is right to the last
float64 digit, else precision doubles again, up to ``MAX_DPS``, and on up to
``HARD_MAX_DPS`` while the values still jump (cos(sinh(x)/3) at x = -11309
needs 4,950 digits: at 640 its value is off by 0.8); a value that shrinks or
grows at every doubling (a zero that cancels, a pole) ends at ``MAX_DPS``.

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

import functools
import math

import mpmath
import sympy

from verify.exact.compiled import EVALF_BITS, REDUCIBLE_BITS, LimitReached, refuse_too_large

START_DPS = 40
MAX_DPS = 640
HARD_MAX_DPS = 10240
AGREE_BITS = 60


class NotSettled(LimitReached):
    """Two evaluations at the most digits the exact engine uses still differ."""


def until_stable(compute, *, start: int = START_DPS, limit: int = MAX_DPS,
                 hard_limit: int = HARD_MAX_DPS):
    """``compute(dps)`` at ``start``, twice that, ... digits until two successive
    values agree to AGREE_BITS relative bits; the later value.

    Past ``limit`` digits a value that kept shrinking or growing by more than
    AGREE_BITS over the last two doublings alike (a zero that cancels to the
    working precision, a pole) is returned as it is (the callers tell a pole
    exactly); one that still jumps is computed on, up to ``hard_limit``, past
    which NotSettled is raised: a value right in no digit is never returned
    as exact (exp(60 cos(sinh(x + 1)/3)) at -11309 went 3e-24, 9e-27, 0.26 at
    160, 320 and 640 digits; it is 7.9e-24)."""
    dps, previous, before = start, None, None
    while True:
        current = compute(dps)
        if previous is not None and agree(previous, current) or \
                dps >= limit and (previous is None or runaway(before, previous, current)):
            return _kept(current, limit)
        if dps >= hard_limit:
            raise NotSettled(
                f"the exact value did not settle: at {dps // 2} and {dps} digits it is "
                f"{number_text(previous, 8)} and {number_text(current, 8)} "
                f"(it needs more digits than the exact engine's limit of {hard_limit})")
        before, previous, dps = previous, current, dps * 2


def number_text(value, digits, **options) -> str:
    """``mpmath.nstr(value, digits, **options)`` for any value: one of 10,240
    digits is rounded first, and one whose exponent has thousands of digits
    (exp(sinh(x)) at 12164 is about 10**(10**5282); Python will not print
    such an integer) is written 10**e."""
    if not (value and mpmath.isfinite(value) and abs(mpmath.mag(value)) > _PRINTABLE_BITS):
        return mpmath.nstr(_kept(value, digits + 5), digits, **options)
    with mpmath.workdps(digits + 5):
        exponent = mpmath.log10(abs(value))
    return f"{'-' if value < 0 else ''}10**{mpmath.nstr(exponent, digits)}"


# past 2**(2**64) a decimal exponent has 20 digits and more; mpmath takes 27 s to
# find that it cannot print one of 5,000 (Python refuses such an integer)
_PRINTABLE_BITS = 2 ** 64


def _kept(value, digits):
    """``value`` to at most ``digits`` digits: mpmath cannot print a number of
    10,240 digits (Python refuses to convert such an integer to a string)."""
    with mpmath.workdps(digits):
        return +value


def runaway(before, previous, current) -> bool:
    """Whether the values fell, or rose, by more than AGREE_BITS at each of the
    last two doublings of digits: a formula that cancels to 0 falls with every
    doubling, one at a pole (tan at 40 digits of pi/2) grows; one that needs
    more digits jumps, and may jump far once."""
    if before is None:
        return False
    return _moved(before, previous) == _moved(previous, current) != 0


def _moved(a, b) -> int:
    """-1 if ``b`` is below ``a`` by more than AGREE_BITS, 1 if above, else 0."""
    scale = mpmath.mpf(2) ** AGREE_BITS
    return -1 if abs(b) * scale <= abs(a) else 1 if abs(b) >= abs(a) * scale else 0


def agree(a, b) -> bool:
    """|a - b| within AGREE_BITS relative bits of the larger."""
    scale = max(abs(a), abs(b))
    return scale == 0 or abs(a - b) <= scale * mpmath.mpf(2) ** -AGREE_BITS


MAX_EVALF_DIGITS = 5000


def evalf_value(expr, digits: int) -> mpmath.mpf:
    """The real number ``expr`` (a SymPy constant) to ``digits`` significant digits.

    SymPy's evalf answers an exact 0, even with ``strict=True``, for a value it
    lost to cancellation (log(1 + 1.5e-317) is 0 at 40 digits and 1.5e-317 at
    400), and a 1-bit number such as -0.e-173 for one it cannot tell from 0. So
    such an answer is asked again at four times the digits, until the digits
    show; one that SymPy cannot tell from 0 at MAX_EVALF_DIGITS is 0 (to that
    many digits of its inputs' size, far below any float64 comparison).
    """
    refuse_huge_arguments(expr)
    n = digits
    while True:
        found = expr.evalf(n)
        if found.is_real is False or found.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            raise ValueError(f"{str(expr)[:80]} is not a finite real number")
        if isinstance(found, sympy.Float) and found._mpf_ != mpmath.libmp.fzero \
                and found._prec >= 3 * n:  # n digits are 3.3 n bits
            return mpmath.mpf(found._mpf_)
        if (found.is_zero and expr.is_zero) or n >= MAX_EVALF_DIGITS:
            return mpmath.mpf(0)
        n = min(4 * n, MAX_EVALF_DIGITS)


@functools.lru_cache(maxsize=1024)
def refuse_huge_arguments(expr) -> None:
    """Raise ArgumentTooLarge (:func:`verify.exact.compiled.refuse_too_large`)
    where ``expr`` holds sin, cos, tan, exp, sinh or cosh of a number past its
    limit: SymPy's evalf would reduce it modulo pi or log 2 at its full size for
    ever (exp(-exp(3.4e8)) in a Taylor constant). Inner nodes first, each
    argument to 15 digits."""
    for node in sympy.postorder_traversal(expr):
        name = type(node).__name__
        if name in REDUCIBLE_BITS and node.args:
            argument = node.args[0].evalf(15)
            if argument.is_number and argument.is_finite is not False:
                parts = [part for part in argument.as_real_imag() if part.is_Number]
                refuse_too_large(name, max((abs(mpmath.mpf(part)) for part in parts),
                                           default=mpmath.mpf(0)),
                                 limits=EVALF_BITS, gives_up=math.inf)
