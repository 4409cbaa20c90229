import math

import mpmath
import pytest

from verify.bounds.predicted import Bound
from verify.input.cases import Tolerance
from verify.checks.compare import (Allowance, Result, judge_expectation,
                                   judge_numeric, judge_within, located)
from verify.numeric.differences import Difference
from verify.input.values import parse_value

BASE = {"file": "f.yaml", "case": "c", "check": "derivative"}


def numeric(value, exact, bound=1e-6, tolerance=None, note="", applied=True):
    return judge_numeric(located(BASE, method="central", quantity="d/dx", point="x=1"),
                         exact=mpmath.mpf(exact),
                         difference=Difference(value, 1e-5, "central", 1, note, applied=applied),
                         bound=Bound(bound, bound / 2, 0, 0, "rigorous"), tolerance=tolerance)


def test_within_and_beyond_the_bound():
    assert numeric(1.0000001, 1.0).status == "pass"
    failed = numeric(1.01, 1.0)
    assert failed.status == "fail" and "exceeds the rigorous bound" in failed.message
    assert failed.tolerance == 1e-6 and failed.abs_error == pytest.approx(0.01)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_never_pass(value):
    row = numeric(value, 1.0, bound=math.inf)
    assert row.status in ("error", "skip")
    assert row.status != "pass"


def test_not_applied_is_a_skip_with_the_reason():
    row = numeric(math.nan, 1.0, note="could not be applied: every step down to 1e-20 ...",
                  applied=False)
    assert row.status == "skip" and row.message.startswith("could not be applied")


def test_skip_or_error_follows_the_typed_field_not_the_wording_of_the_note():
    # a NaN the method computed is an error whatever its note says
    computed = numeric(math.nan, 1.0, note="could not be applied, or so the note says")
    assert computed.status == "error"
    not_applied = numeric(math.nan, 1.0, note="the stencil left the domain", applied=False)
    assert not_applied.status == "skip"


def test_tolerance_overrides_the_bound():
    row = numeric(1.01, 1.0, tolerance=Tolerance(rtol=0.02))
    assert row.status == "pass" and row.bound_kind == "tolerance" and row.tolerance == 0.02
    assert numeric(1.01, 1.0, tolerance=Tolerance(atol=0.001)).status == "fail"


def expectation(text, exact):
    return judge_expectation(BASE, quantity="expect:derivative", point="x=1",
                             expected=parse_value(text), exact=mpmath.mpf(exact))


def test_decimal_expectations_round_at_their_last_digit():
    exact = mpmath.cos(1)  # 0.54030230...
    assert expectation("0.5403", exact).status == "pass"
    wrong = expectation("0.5404", exact)
    assert wrong.status == "fail"
    assert wrong.message.startswith("expected 0.5404 but the exact value is 0.5403023058681397")
    assert "the written digits allow 5e-05" in wrong.message
    assert expectation("1.25e-3", 0.0012549).status == "pass"
    assert expectation("1.25e-3", 0.0012551).status == "fail"


def test_exact_expectations_must_be_equal():
    with mpmath.workdps(50):
        assert expectation("sqrt(2)/2", mpmath.sqrt(2) / 2).status == "pass"
        row = expectation("1/3", mpmath.mpf("0.3333333333333333"))
    assert row.status == "fail" and "an exact expectation must be equal" in row.message
    assert expectation("12", 12).status == "pass"


def test_exit_status_follows_cases_md():
    from verify.core.status import exit_code
    def rows(*statuses):
        return [Result(file="f", case="c", check="x", status=s) for s in statuses]
    assert exit_code(rows("pass", "skip")) == 0
    assert exit_code(rows("pass", "fail", "skip")) == 1
    assert exit_code(rows("fail", "error")) == 2


def test_status_counts_and_worst_relative_error_of_judged_rows():
    from verify.checks.compare import worst_rel_error
    from verify.core.status import count
    rows = [Result(file="f", case="c", check="x", status="pass", rel_error=1e-9),
            Result(file="f", case="c", check="x", status="fail", rel_error=1e-3),
            Result(file="f", case="c", check="x", status="skip", rel_error=0.5),
            Result(file="f", case="c", check="x", status="error")]
    assert count(rows) == {"pass": 1, "fail": 1, "error": 1, "inconclusive": 0,
                                    "skip": 1}
    assert worst_rel_error(rows) == 1e-3  # skipped rows are not judged
    assert worst_rel_error(rows[2:]) is None


def _value_row(status, rel_error, **columns):
    return Result(file="f", case="c", check="x", status=status, rel_error=rel_error, **columns)


def test_headline_error_leaves_out_descent_outcomes_curve_rows_and_partial_sums():
    from verify.checks.compare import worst_rel_error
    rows = [_value_row("pass", 1e-12, bound_kind="rigorous"),
            _value_row("pass", 3.3e18, bound_kind="outcome"),       # a run meant to diverge
            _value_row("pass", 0.9, bound_kind="model"),
            _value_row("pass", 0.6, method="partial_sum", bound_kind="rigorous"),
            _value_row("inconclusive", 5.1, bound_kind="rigorous")]  # not judged
    assert worst_rel_error(rows) == 1e-12


def test_relative_error_of_exact_zero_is_zero_for_a_perfect_match():
    base = {"file": "f", "case": "c", "check": "taylor"}
    at = located(base, method="m", quantity="q")
    perfect = judge_within(at, exact=mpmath.mpf(0), numeric=0.0,
                           bound=Allowance(1e-15, "rigorous", ""))
    off = judge_within(at, exact=mpmath.mpf(0), numeric=1e-20,
                       bound=Allowance(1e-15, "rigorous", ""))
    assert perfect.rel_error == 0 and off.rel_error is None


MICROGRAD_B_GRAD = "645.5772594752186"    # the nearest double to the exact value
MICROGRAD_A_GRAD = "138.83381924198252"   # what micrograd, PyTorch and backprop compute


def test_a_16_or_17_digit_number_is_judged_as_a_float64_result():
    from verify.checks.compare import judge_expectation
    from verify.input.values import parse_value
    base = {"file": "f", "case": "c", "check": "expect"}
    exact_b = mpmath.mpf("645.5772594752186588921282798833819241982507288629737609329446")
    exact_a = mpmath.mpf("138.8338192419825072886297376093294460641399416909620991253644")
    for text, exact in ((MICROGRAD_B_GRAD, exact_b), (MICROGRAD_A_GRAD, exact_a)):
        # under the last-written-digit rule both fail; as float64 printouts, with the
        # rounding bound of computing them (here 1e-11), both pass and say so
        row = judge_expectation(base, quantity="g", point="", expected=parse_value(text),
                                exact=exact, float64_bound=1e-11)
        assert row.status == "pass" and row.bound_kind == "float64 result"
        assert "judged as a float64 result" in row.message
    # with no rounding bound the rule still allows the nearest double (half an ulp) ...
    assert judge_expectation(base, quantity="g", point="", expected=parse_value(MICROGRAD_B_GRAD),
                             exact=exact_b).status == "pass"
    # ... but not the next double beyond it
    row = judge_expectation(base, quantity="g", point="", expected=parse_value(MICROGRAD_A_GRAD),
                            exact=exact_a)
    assert row.status == "fail" and "float64 result" in row.message
    # a wrong 17-digit number beyond the bound fails
    wrong = judge_expectation(base, quantity="g", point="", expected=parse_value("645.57725947531866"),
                              exact=exact_b, float64_bound=1e-11)
    assert wrong.status == "fail"


def test_fewer_than_16_digits_keep_the_written_digit_rule():
    from verify.checks.compare import judge_expectation
    from verify.input.values import parse_value
    base = {"file": "f", "case": "c", "check": "expect"}
    exact = mpmath.mpf("645.5772594752186588921282798833819241982507288629737609329446")
    row = judge_expectation(base, quantity="g", point="", expected=parse_value("645.577259475217"),
                            exact=exact, float64_bound=1.0)
    assert row.bound_kind == "written digits" and row.status == "fail"


def test_a_vacuous_bound_is_inconclusive_never_pass():
    # issue 10 item 1: -7.18e6 against 1.75e6 passed with a bound of 6.2e8
    row = numeric(-7176725.66, 1746339.05, bound=6.18e8)
    assert row.status == "inconclusive"
    assert "cannot tell a right value from a wrong one" in row.message
    # a bound just below |exact| still judges
    assert numeric(1.5, 1.0, bound=0.9).status == "pass"
    # an error beyond even a vacuous rigorous bound is a fail, not inconclusive
    assert numeric(-5.0, 1.0, bound=2.0).status == "fail"
    # exact 0: any finite bound can judge
    assert numeric(1e-7, 0.0, bound=1e-6).status == "pass"


def test_a_non_finite_bound_is_inconclusive_with_the_hint():
    row = judge_numeric(located(BASE, method="forward", quantity="d/dx", point="x=1"),
                        exact=mpmath.mpf(1),
                        difference=Difference(0.0, 1e-320, "forward", 1),
                        bound=Bound(math.inf, 0, math.inf, 0, "rigorous"),
                        hint=lambda: "the step 1e-8 would be conclusive")
    assert row.status == "inconclusive"
    assert "no finite error bound" in row.message and "the step 1e-8 would be conclusive" in row.message


def test_the_tolerance_judges_even_where_the_bound_is_vacuous():
    row = numeric(1.5, 1.0, bound=1e9, tolerance=Tolerance(rtol=0.6))
    assert row.status == "pass" and row.bound_kind == "tolerance"


def test_judge_within_a_vacuous_bound_is_inconclusive():
    from verify.checks.compare import judge_within
    row = judge_within(located(BASE, method="taylor", quantity="partial_sum[n=0]", point="x=3"),
                       exact=mpmath.mpf(20), numeric=1.0,
                       bound=Allowance(60.3, "rigorous", "Lagrange bound"))
    assert row.status == "inconclusive"
    row = judge_within(located(BASE, method="taylor", quantity="partial_sum[n=9]", point="x=3"),
                       exact=mpmath.mpf(20), numeric=20.001,
                       bound=Allowance(0.01, "rigorous", "Lagrange bound"))
    assert row.status == "pass"
    unbounded = judge_within(located(BASE, method="descent", quantity="x", point="x=3"),
                             exact=mpmath.mpf(2), numeric=2.0,
                             bound=Allowance(math.inf, "rigorous", "none"))
    assert unbounded.status == "inconclusive"


def test_agreement_with_a_vacuous_or_missing_bound_is_inconclusive():
    from verify.checks.compare import judge_agreement
    loose = judge_agreement(BASE, quantity="d/dx", point="x=1", exact=mpmath.mpf(1),
                            answers=[("central", 1.0, 5.0, "p"), ("backprop", 1.0, 1e-16, "q")])
    assert loose.status == "inconclusive" and "central" in loose.message
    missing = judge_agreement(BASE, quantity="d/dx", point="x=1", exact=mpmath.mpf(1),
                              answers=[("central", 1.0, math.inf, "p")])
    assert missing.status == "inconclusive"
    tight = judge_agreement(BASE, quantity="d/dx", point="x=1", exact=mpmath.mpf(1),
                            answers=[("central", 1.0, 1e-9, "p"), ("backprop", 1.0, 1e-16, "q")])
    assert tight.status == "pass"
