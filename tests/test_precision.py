"""Recomputing at doubled precision until two values agree."""
from __future__ import annotations

import mpmath

import pytest

from verify.exact.precision import (HARD_MAX_DPS, MAX_DPS, START_DPS, NotSettled, agree,
                                    until_stable)


def test_a_cancelling_formula_is_recomputed_until_its_digits_stop_moving():
    asked = []

    def cancelling(dps):  # 1 - (1 - 1e-60) loses 60 digits: right only from 80 digits on
        asked.append(dps)
        with mpmath.workdps(dps):
            return 1 - (1 - mpmath.mpf(10) ** -60)

    value = until_stable(cancelling)
    assert asked == [START_DPS, 2 * START_DPS, 4 * START_DPS]
    assert abs(value - mpmath.mpf(10) ** -60) < mpmath.mpf(10) ** -75


def test_a_value_that_never_settles_is_refused_not_returned():
    asked = []

    def never(dps):
        asked.append(dps)
        return mpmath.mpf(len(asked))

    with pytest.raises(NotSettled, match="did not settle: at 5120 and 10240 digits it is 8.0 and 9.0"):
        until_stable(never)
    assert asked[-1] == HARD_MAX_DPS > MAX_DPS


def test_a_value_that_cancels_to_zero_stops_at_the_limit():
    asked = []

    def vanishing(dps):  # exp(log(2)) - 2 at dps digits: 0 to the working precision
        asked.append(dps)
        return mpmath.mpf(10) ** -dps

    assert until_stable(vanishing) == mpmath.mpf(10) ** -MAX_DPS
    assert asked[-1] == MAX_DPS


def test_a_huge_argument_gets_the_digits_it_needs():
    # cos(sinh(x + 1)/3) at x = -11309.061926351002: sinh is 1e4911, so the cosine
    # needs 4,950 digits; at 640 it was 0.8 off and was returned all the same
    def at(dps):
        with mpmath.workdps(dps):
            x = mpmath.mpf("-11309.061926351002")
            return mpmath.cos(mpmath.sinh(x + 1) / 3) + x + 2

    value = until_stable(at)
    with mpmath.workdps(30):
        assert abs(value - mpmath.mpf("-11308.046037552566761")) < 1e-15
    assert mpmath.nstr(value, 8) == "-11308.046"  # printable: kept to MAX_DPS digits


def test_agreement_is_relative_to_60_bits():
    with mpmath.workdps(40):
        one = mpmath.mpf(1)
        assert agree(one, one + mpmath.mpf(2) ** -61)
        assert not agree(one, one + mpmath.mpf(2) ** -58)
    assert agree(0, 0)


def test_a_value_sympy_answers_as_0_is_asked_again_at_more_digits():
    import sympy
    from verify.exact.precision import MAX_EVALF_DIGITS, evalf_value
    tiny = sympy.Rational(3, 10 ** 159)
    lost = sympy.log(1 + sympy.sinh(tiny) ** 2)
    assert lost.evalf(40) == 0  # SymPy's own answer at 40 digits
    with mpmath.workdps(60):
        value = evalf_value(lost, 40)
        assert abs(value - mpmath.mpf(9) / 10 ** 318) < mpmath.mpf(10) ** -330
    assert evalf_value(sympy.sin(sympy.pi) + sympy.Integer(0), 40) == 0  # a proved 0
    assert evalf_value(sympy.Rational(1, 4), 40) == mpmath.mpf(0.25)
    # a 0 SymPy cannot prove: evalf gives 1-bit noise (-0.e-173), not a value;
    # no digit shows up to MAX_EVALF_DIGITS, so it is 0
    stuck = sympy.sin(sympy.Integer(1)) ** 2 + sympy.cos(sympy.Integer(1)) ** 2 - 1
    assert stuck.is_zero is None and stuck.evalf(40)._prec == 1
    assert evalf_value(stuck, 40) == 0 and MAX_EVALF_DIGITS >= 1000


def test_a_constant_holding_exp_of_a_number_past_the_limit_is_refused_before_evalf():
    # sigmoid(exp(3 x**2 - x)) about x = -10684: SymPy's evalf of exp(-exp(3.4e8))
    # would compute e to 4.9e8 bits; the argument is looked at first
    import pytest
    import sympy
    from verify.exact.compiled import ArgumentTooLarge
    from verify.exact.precision import evalf_value
    big = sympy.exp(sympy.Integer(342_000_000))
    with pytest.raises(ArgumentTooLarge, match=r"exp of a number of about 2\*\*4.9"):
        evalf_value(1 / (1 + sympy.exp(-big)), 40)
    assert evalf_value(sympy.exp(sympy.Integer(-700)), 40) == mpmath.exp(-700)
    # SymPy's own evalf is slower than mpmath's: exp(1e3000) takes it 6 s, so its
    # limit is 2**12 bits, below the 2**16 of the compiled (mpmath) side
    with pytest.raises(ArgumentTooLarge, match=r"past the exact engine's limit of 2\*\*4096"):
        evalf_value(sympy.exp(sympy.exp(sympy.Integer(3000))), 20)


def test_an_infinite_or_complex_constant_is_an_error_not_0():
    import pytest
    import sympy
    from verify.exact.precision import evalf_value
    for value in (sympy.oo, sympy.nan, sympy.I + 1, sympy.log(-1)):
        with pytest.raises(ValueError, match="not a finite real number"):
            evalf_value(value, 40)


def test_numbers_too_long_for_python_to_print_are_written_as_powers_of_ten():
    from verify.exact.precision import number_text
    with mpmath.workdps(30):
        huge = mpmath.exp(mpmath.mpf(10) ** 5000)  # its exponent has 5,000 digits
        assert number_text(huge, 6) == "10**4.34294e+4999"
        assert number_text(-huge, 6) == "-10**4.34294e+4999"
    with mpmath.workdps(10240):
        long = mpmath.pi * 1  # a mantissa of 10,240 digits
    assert number_text(long, 8) == "3.1415927"
    assert number_text(mpmath.mpf("0.5"), 12, min_fixed=-6) == "0.5"


def test_a_value_that_jumps_far_once_is_not_taken_for_a_zero_or_a_pole():
    # exp(60 cos(sinh(x + 1)/3)) at -11309: 3.1e-24, 8.8e-27 and 0.26 at 160, 320
    # and 640 digits; one jump past 2**60 is no trend: it is 7.946e-24
    def at(dps):
        with mpmath.workdps(dps):
            x = mpmath.mpf(-11309)
            return mpmath.exp(60 * mpmath.cos(mpmath.sinh(x + 1) / 3))

    value = until_stable(at)
    assert abs(value / mpmath.mpf("7.946294892e-24") - 1) < 1e-9
