"""Random smooth compositions (bench/smooth_cases.py) at random points: no
verdict may be a fail or an error, and exact, finite differences and
backprop agree (issue 10, item 4)."""
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import smooth_cases  # noqa: E402

DERIVATIVE_CASES = 40
CURVE_CASES = 10


def _wrong(rows):
    return [f"{r.case} {r.method} {r.quantity} {r.status}: {r.message}" for r in rows
            if r.status in ("fail", "error")]


def test_generated_derivatives_agree_with_exact_and_backprop(tmp_path):
    path = tmp_path / "derivatives.yaml"
    path.write_text(smooth_cases.case_file(
        "derivative", DERIVATIVE_CASES, seed=7, depth=2,
        checks="{derivative: {methods: [central, complex_step]}, "
               "backprop: {}}"))
    rows = smooth_cases.run(path)
    assert not _wrong(rows), _wrong(rows)[:5]
    agree = [r for r in rows if r.method == "three-way"]
    assert len(agree) == DERIVATIVE_CASES  # exact, central within its bound, backprop
    statuses = Counter(r.status for r in rows)
    # the verdicts judge: nearly every row is conclusive
    assert statuses["pass"] >= 0.9 * len(rows), statuses
    assert sum(r.status == "pass" for r in agree) >= 0.9 * len(agree)


def test_generated_error_curves_follow_their_model(tmp_path):
    path = tmp_path / "curves.yaml"
    path.write_text(smooth_cases.case_file(
        "error_curve", CURVE_CASES, seed=11, depth=2,
        options="{num: 60, dps: 20, methods: [central, richardson]}"))
    rows = smooth_cases.run(path)
    assert not _wrong(rows), _wrong(rows)[:5]
    orders = [r for r in rows if r.quantity == "order"]
    assert sum(r.status == "pass" for r in orders) >= 0.7 * len(orders)
