"""Recomputing at doubled precision until two values agree."""
from __future__ import annotations

import mpmath

from verify.exact.precision import MAX_DPS, START_DPS, agree, until_stable


def test_a_cancelling_formula_is_recomputed_until_its_digits_stop_moving():
    asked = []

    def cancelling(dps):  # 1 - (1 - 1e-60) loses 60 digits: right only from 80 digits on
        asked.append(dps)
        with mpmath.workdps(dps):
            return 1 - (1 - mpmath.mpf(10) ** -60)

    value = until_stable(cancelling)
    assert asked == [START_DPS, 2 * START_DPS, 4 * START_DPS]
    assert abs(value - mpmath.mpf(10) ** -60) < mpmath.mpf(10) ** -75


def test_the_loop_stops_at_the_limit():
    asked = []

    def never(dps):
        asked.append(dps)
        return mpmath.mpf(len(asked))

    assert until_stable(never) == len(asked)
    assert asked[-1] == MAX_DPS


def test_agreement_is_relative_to_60_bits():
    with mpmath.workdps(40):
        one = mpmath.mpf(1)
        assert agree(one, one + mpmath.mpf(2) ** -61)
        assert not agree(one, one + mpmath.mpf(2) ** -58)
    assert agree(0, 0)
