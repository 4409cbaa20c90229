"""``dtype: float32`` end to end: the numeric side runs in float32, its steps
and bounds are float32's, and a correct float32 result passes."""
import numpy as np
import pytest

from verify.checks.common import numeric_function
from verify.core.run_options import RunOptions
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.runner import load
from verify.checks.case import run_case

U32, U64 = 2.0**-24, 2.0**-53


def test_constants_do_not_lift_a_float32_evaluation_to_float64():
    engine = ExactFunction(parse("sqrt(2)*x + log(3)*sin(1)*y"), ("x", "y"))
    point = np.array([[0.7, 0.3]])
    f32, f64 = numeric_function(engine, np.float32), numeric_function(engine, np.float64)
    assert f32(point).dtype == np.float32
    assert f32(point.astype(np.complex64)).dtype == np.complex64
    exact = np.sqrt(2) * np.float32(0.7) + np.log(3) * np.sin(1) * np.float32(0.3)
    assert 0 < abs(float(f32(point)[0]) - exact) < 4 * U32 * abs(exact)
    assert f64(point).dtype == np.float64


CASE = """\
cases:
  - name: loss
    function: log(1 + exp(-(sqrt(2)*w + b)))
    at: {w: 0.7, b: -0.2}
    checks: [gradient]
    dtype: DTYPE
"""


def rows_of(tmp_path, dtype):
    path = tmp_path / f"{dtype}.yaml"
    path.write_text(CASE.replace("DTYPE", dtype))
    (case,) = load([path]).cases
    return run_case(case, RunOptions(timeout=0)).results


def test_a_float32_gradient_passes_with_float32_steps_and_bounds(tmp_path):
    rows32, rows64 = rows_of(tmp_path, "float32"), rows_of(tmp_path, "float64")
    assert {r.status for r in rows32} == {"pass"}
    assert not any("shrunk" in r.message for r in rows32)  # a representable step is no shrink
    central32 = [r for r in rows32 if r.method == "central"]
    central64 = [r for r in rows64 if r.method == "central"]
    for r32, r64 in zip(central32, central64):
        # the standard central step is (3u)^(1/3): about 5.6e-3 in float32, 6.9e-6 in float64
        assert r32.h / r64.h == pytest.approx((U32 / U64) ** (1 / 3), rel=0.01)
        assert r32.tolerance > 1e4 * r64.tolerance
        assert r32.abs_error > 1e-8  # float32 arithmetic shows in the error ...
        assert r32.abs_error <= r32.tolerance  # ... and stays within float32's bound
