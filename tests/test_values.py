from fractions import Fraction

import pytest
import sympy

from verify.input.expressions import ExpressionError
from verify.input.values import parse_value


@pytest.mark.parametrize("text, exact, half_unit", [
    ("0.5403", sympy.Rational(5403, 10000), Fraction(1, 20000)),
    ("1.25e-3", sympy.Rational(1, 800), Fraction(1, 200000)),
    ("-0.8", sympy.Rational(-4, 5), Fraction(1, 20)),
    ("49", sympy.Integer(49), None),
    ("1e-9", sympy.Rational(1, 10**9), Fraction(1, 2 * 10**9)),
    ("pi/4", sympy.pi / 4, None),
    ("1/3", sympy.Rational(1, 3), None),
    ("99*7**98", 99 * sympy.Integer(7)**98, None),
])
def test_values_keep_their_exact_meaning_and_written_digits(text, exact, half_unit):
    value = parse_value(text)
    assert value.exact == exact
    assert value.half_unit == half_unit


def test_decimal_point_means_the_decimal_but_float64_is_the_nearest_float():
    value = parse_value("0.1")
    assert value.exact == sympy.Rational(1, 10)
    assert value.float64 == 0.1
    assert value.mp(30) != sympy.Float(0.1, 30)  # the decimal, not the binary float


@pytest.mark.parametrize("raw, message", [
    ("x", "is not a number"), (True, "expected a number"), (None, "expected a number"),
])
def test_bad_values_are_refused(raw, message):
    with pytest.raises(ExpressionError, match=message):
        parse_value(raw)


def test_huge_values_are_refused():
    with pytest.raises(ExpressionError, match="too large"):
        parse_value("1e400")


def test_a_decimal_with_thousands_of_digits_is_an_input_error_not_a_crash():
    from verify.input.expressions import ExpressionError
    from verify.input.values import parse_value
    with pytest.raises(ExpressionError, match="is written with more than 1000 digits"):
        parse_value("0." + "1" * 5000)
    assert parse_value("0." + "1" * 900).exact.q == 10 ** 900


def test_float64_is_kept_per_value_and_survives_a_pickle():
    import pickle
    third, tenth = parse_value("1/3"), parse_value("0.1")
    assert (third.float64, tenth.float64) == (1 / 3, 0.1)
    assert "float64" in vars(third)  # computed once, kept on this value only
    assert "float64" not in vars(parse_value("0.2"))
    copy = pickle.loads(pickle.dumps(third))
    assert copy == third and copy.float64 == 1 / 3


def test_hash_is_the_fields_hash_kept_per_value_and_not_pickled():
    """A point's coordinates are hashed at every cache lookup: the hash is kept,
    and is the one the frozen dataclass would compute, so equal values still
    meet in a dict; a pickle leaves it out (a string's hash differs between
    processes, and a worker must compute its own)."""
    import pickle
    value = parse_value("0.5403")
    assert hash(value) == hash((value.text, value.exact, value.half_unit))
    assert "_hash" in vars(value)
    assert {value: 1}[parse_value("0.5403")] == 1
    assert "_hash" not in vars(pickle.loads(pickle.dumps(value)))
