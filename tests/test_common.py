"""Shared parts of the checks (verify/checks/common.py): the step guard."""
from __future__ import annotations

import pytest

from verify.checks.common import smooth_between
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse

NESTED = ("(x/2 + 1/(1 + exp(-sinh(3*x**4 + x**3/2 + x)/3)))*sqrt(sin(log((3*x**3 - x**2)**2"
          "*cos((x/2 - 1)*(-2*x**4 - x**3 - x + (2*x**4 + x**3 + x)**2))**2 + 1)) + 2)")


def test_a_span_too_wide_for_one_ball_is_shown_smooth_on_pieces(monkeypatch):
    """Over [1.208, 1.228] the ball of log's argument reaches 0 (overestimation:
    the argument is at least 1); on eight pieces every ball holds, which proves
    the span smooth without SymPy's second derivative (seconds to form)."""
    engine = ExactFunction(parse(NESTED), ("x",))
    admissible = smooth_between(engine, (2,), 0, [1.218])
    monkeypatch.setattr(type(engine), "derivative",
                        lambda *a: pytest.fail("the SymPy derivative was formed"))
    assert admissible(1.208, 1.228)


def test_a_span_over_a_pole_is_not_admissible_on_pieces_either():
    engine = ExactFunction(parse("1/(x - 1) + log(x)"), ("x",))
    admissible = smooth_between(engine, (2,), 0, [0.9])
    assert admissible(0.8, 0.95)
    assert not admissible(0.8, 1.2)  # the pole at 1
    assert not admissible(-0.1, 0.5)  # log's edge at 0
