"""Random smooth compositions (bench/smooth_cases.py) at random points: no
verdict may be a fail or an error, every case is accounted for, and exact,
finite differences and backprop agree (issue 10, item 4: a few hundred
generated cases)."""
import sys
from collections import Counter
from pathlib import Path

from verify.core.status import roll_up

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import smooth_cases  # noqa: E402

DERIVATIVE_CASES = 100
GRADIENT_CASES = 50
CURVE_CASES = 40  # about 10 s on one core


def _wrong(rows):
    return [f"{r.case} {r.method} {r.quantity} {r.status}: {r.message}" for r in rows
            if r.status in ("fail", "error")]


def _summary(rows):
    """One status per case, as summary.csv rolls them up."""
    by_case = {}
    for row in rows:
        by_case.setdefault(row.case, []).append(row.status)
    return {case: roll_up(statuses) for case, statuses in by_case.items()}


def _run(tmp_path, check, count, seed, **text):
    path = tmp_path / f"{check}.yaml"
    path.write_text(smooth_cases.case_file(check, count, seed=seed, depth=2, **text))
    rows = smooth_cases.run(path)
    summary = _summary(rows)
    # every generated case has its summary row, none is lost or merged
    assert sorted(summary) == [f"smooth_{i:04d}" for i in range(count)]
    assert not _wrong(rows), _wrong(rows)[:5]
    assert set(summary.values()) <= {"pass", "inconclusive", "skip"}
    return rows


def test_generated_derivatives_agree_with_exact_and_backprop(tmp_path):
    rows = _run(tmp_path, "derivative", DERIVATIVE_CASES, 7,
                checks="{derivative: {methods: [central, complex_step]}, backprop: {}}")
    agree = [r for r in rows if r.method == "three-way"]
    assert len(agree) == DERIVATIVE_CASES  # exact, central within its bound, backprop
    statuses = Counter(r.status for r in rows)
    # the verdicts judge: nearly every row is conclusive
    assert statuses["pass"] >= 0.9 * len(rows), statuses
    assert sum(r.status == "pass" for r in agree) >= 0.9 * len(agree)


def test_generated_gradients_agree_with_exact_and_backprop(tmp_path):
    rows = _run(tmp_path, "gradient", GRADIENT_CASES, 8,
                checks="{gradient: {methods: [central]}, backprop: {}}")
    statuses = Counter(r.status for r in rows)
    assert statuses["pass"] >= 0.9 * len(rows), statuses


def test_generated_error_curves_follow_their_model(tmp_path):
    rows = _run(tmp_path, "error_curve", CURVE_CASES, 11,
                options="{num: 40, dps: 20, methods: [forward, central, richardson, "
                        "complex_step]}")
    orders = [r for r in rows if r.quantity == "order"]
    assert len(orders) == 4 * CURVE_CASES
    assert sum(r.status == "pass" for r in orders) >= 0.7 * len(orders)
    best = [r for r in rows if r.quantity == "best_h"]
    assert sum(r.status == "pass" for r in best) >= 0.8 * len(best)
