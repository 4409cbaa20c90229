"""The ``checks`` options (verify/input/options.py)."""
from __future__ import annotations

from tests.conftest import load_one


def test_step_reads_one_h_for_every_method_or_one_per_method(tmp_path):
    (one, each, none), errors = load_one(tmp_path, """
        cases:
          - {name: one, function: sin(x), at: {x: 1}, checks: {derivative: {h: 0.001}}}
          - {name: each, function: sin(x), at: {x: 1}, checks: {derivative: {h: {central: 0.01}}}}
          - {name: none, function: sin(x), at: {x: 1}, checks: [derivative]}
    """)
    assert not errors
    assert one.checks[0].step("central") == 0.001 and one.checks[0].step("forward") == 0.001
    assert each.checks[0].step("central") == 0.01 and each.checks[0].step("forward") is None
    assert none.checks[0].step("central") is None
