"""Numbers written in case files: their exact meaning and their written digits.

A value is a number or a string holding one (CASES.md, "Values"). The text
is kept, because an expectation written as ``0.5403`` means "the exact
result rounds to this at the last written digit", and a point written as
``0.1`` means the decimal 1/10 exactly on the exact side.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from verify.input.expressions import MAX_LITERAL_DIGITS, ExpressionError, parse_number

# A plain decimal or float literal: only these carry "written digits".
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?\Z")
MAX_MAGNITUDE = sympy.Float("1e300")
FLOAT64_PRINTOUT_DIGITS = (16, 17)  # repr() of a float64 writes 17 at most
MAX_EXPONENT = 10_000  # of a decimal literal; far beyond float64, far below a slow Rational


@dataclass(frozen=True)
class Value:
    """One number from a case file.

    Attributes
    ----------
    text : str
        The number as written.
    exact : sympy.Expr
        Its exact meaning (``0.1`` is 1/10, ``"pi/4"`` is pi/4).
    half_unit : fractions.Fraction or None
        For a decimal literal with a point or an exponent, half a unit of
        its last written digit (``0.5403`` -> 0.00005); else ``None``,
        meaning the value is exact and must be matched exactly.
    """

    text: str
    exact: sympy.Expr
    half_unit: Fraction | None = None

    @functools.cached_property
    def float64(self) -> float:
        """The nearest float64 (correctly rounded from 40 digits); kept on the
        value (the fields are frozen), as a layer's bounds ask for every
        coordinate of the point tens of thousands of times."""
        return float(self.mp(40))

    def __hash__(self) -> int:
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        # the dataclass's own hash of the fields, kept: caches keyed by a point
        # hash its hundred coordinates at every lookup on a layer
        return hash((self.text, self.exact, self.half_unit))

    def __getstate__(self) -> dict:
        # a string's hash differs between processes: a worker computes its own
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def mp(self, dps: int) -> mpmath.mpf:
        """The exact value as an mpmath number good to ``dps`` digits."""
        return _mp_of(self.exact, dps)

    @property
    def significant_digits(self) -> int | None:
        """Significant digits of a decimal literal (``0.0150`` has 3); else None."""
        if self.half_unit is None:
            return None
        mantissa = self.text.lower().replace("_", "").lstrip("+-").partition("e")[0]
        digits = mantissa.replace(".", "").lstrip("0")
        return max(len(digits), 1)

    @property
    def is_float64_printout(self) -> bool:
        """CASES.md v1.1: a decimal with 16 or 17 significant digits is read as
        the printout of a float64 computation, not as a rounded exact value."""
        return self.significant_digits in FLOAT64_PRINTOUT_DIGITS

    def __str__(self) -> str:
        return self.text


def parse_value(raw) -> Value:
    """A :class:`Value` from a YAML scalar's text or a Python number.

    Raises
    ------
    ExpressionError
        When the text is not a finite real number.
    """
    if isinstance(raw, bool) or raw is None:
        raise ExpressionError(f"expected a number, got {raw!r}")
    text = raw if isinstance(raw, str) else repr(raw)
    text = text.strip()
    literal = _DECIMAL.match(text.replace("_", ""))
    if literal and abs(int(literal.group(2)[1:] if literal.group(2) else 0)) > MAX_EXPONENT:
        # 1e999999999 would build a billion-digit integer before any check
        raise ExpressionError(f"{text!r} is out of range (exponent beyond {MAX_EXPONENT})")
    if literal and sum(c.isdigit() for c in literal.group(1)) > MAX_LITERAL_DIGITS:
        raise ExpressionError(f"{text[:40]!r}... is written with more than {MAX_LITERAL_DIGITS} "
                              "digits")
    if literal:
        exact = sympy.Rational(text.replace("_", ""))
        half_unit = _half_unit(text.replace("_", "")) if ("." in text or "e" in text.lower()) else None
    else:
        exact = parse_number(text)
        half_unit = None
    if abs(exact.evalf(20)) > MAX_MAGNITUDE:
        raise ExpressionError(f"{text!r} is too large (beyond 1e300)")
    return Value(text=text, exact=exact, half_unit=half_unit)


def _half_unit(text: str) -> Fraction:
    mantissa, _, power = text.lower().lstrip("+-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    return Fraction(1, 2) * Fraction(10) ** (int(power or 0) - decimals)


def number(value: Value | float | int) -> Value:
    """Wrap a Python number given through the API as an exact value."""
    if isinstance(value, Value):
        return value
    return parse_value(repr(value) if isinstance(value, float) else str(value))


@functools.lru_cache(maxsize=65_536)
def _mp_of(exact, dps: int) -> mpmath.mpf:
    # cached: a tensor case converts each of its hundred coordinates for every
    # exact value it computes
    with mpmath.workdps(dps + 5):
        if exact.is_Rational:
            return mpmath.mpf(exact.p) / exact.q
        return mpmath.mpf(exact.evalf(dps + 5)._mpf_)
