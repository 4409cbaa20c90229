"""The one status type and its roll-up (CASES.md v1.1)."""
import pytest

from verify.checks.compare import Result
from verify.core.status import ORDER, Status, count, exit_code, roll_up, status_of


def rows(*statuses):
    return [Result(file="f", case="c", check="x", status=s) for s in statuses]


def test_order_is_worst_first():
    assert [str(s) for s in ORDER] == ["error", "fail", "pass", "inconclusive", "skip"]


@pytest.mark.parametrize("statuses, expected", [
    (("pass", "inconclusive", "skip"), "pass"),     # one pass and no error or fail
    (("inconclusive", "skip"), "inconclusive"),     # never counts as passed
    (("skip",), "skip"),                            # a skipped-only case is not a pass
    (("pass", "fail", "skip"), "fail"),
    (("fail", "error"), "error"),
])
def test_a_case_takes_the_worst_status_of_its_rows(statuses, expected):
    assert status_of(rows(*statuses)) == expected


def test_the_same_roll_up_serves_files_and_runs():
    cases = [status_of(rows("pass", "skip")), status_of(rows("inconclusive"))]
    assert roll_up(cases) is Status.PASS
    assert roll_up([]) is None


def test_counts_and_exit_code():
    found = rows("pass", "inconclusive", "inconclusive", "skip")
    assert count(found) == {"error": 0, "fail": 0, "pass": 1, "inconclusive": 2, "skip": 1}
    assert exit_code(found) == 0
    assert exit_code(rows("inconclusive", "fail")) == 1
    assert exit_code(rows("fail", "error")) == 2


def test_a_result_refuses_an_unknown_status():
    with pytest.raises(ValueError):
        Result(file="f", case="c", check="x", status="passed")
    assert Result(file="f", case="c", check="x", status="skip").status is Status.SKIP
