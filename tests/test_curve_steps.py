"""The steps an error curve can take (verify.checks.curve_steps)."""
import sys
from pathlib import Path

import numpy as np
import pytest

from verify.checks.common import numeric_function
from verify.checks.curve_steps import _tame_by_parts, complex_tame, finite_steps
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import smooth_cases  # noqa: E402


def test_the_complex_walk_finds_the_points_each_compiled_intermediate_finds():
    # steps up to 1e3 from the point: many intermediates overflow on the way
    hs = np.geomspace(1e-16, 1e3, 60)
    untame = 0
    for case in smooth_cases.cases("derivative", 40, 11):
        engine = ExactFunction(parse(case["function"]), ("x",))
        points = (next(iter(case["at"].values())) + 1j * hs)[:, None]
        walked = complex_tame(engine, points)
        assert np.array_equal(walked, _tame_by_parts(engine, points)), case["function"]
        untame += int((~walked).sum())
    assert untame > 50  # the property was tried where it matters


@pytest.mark.parametrize("text, tame_up_to", [
    # cos(x + ih) is about e^h / 2 (cos x - i sin x): its exp overflows past h = 7.4
    ("exp(cos(x))", 7.5),
    # sin(x + ih) is about e^h / 2: its square overflows past h = 355
    ("sin(x)**2 + cosh(x)", 356),
    ("1/(1 + x**2)", None),          # finite at every x + ih but x = 0, h = 1
])
def test_complex_intermediates_past_float64_are_not_tame(text, tame_up_to):
    engine = ExactFunction(parse(text), ("x",))
    hs = np.array([1.0, 10.0, 100.0, 700.0, 705.0, 720.0, 1e4])
    tame = complex_tame(engine, (0.5 + 1j * hs)[:, None])
    if tame_up_to is None:
        assert tame.all()
    else:
        assert np.array_equal(tame, hs < tame_up_to)


def test_finite_steps_stop_below_the_first_step_whose_stencil_overflows():
    engine = ExactFunction(parse("exp(exp(x))"), ("x",))
    hs = np.geomspace(1e-8, 10.0, 50)
    # exp(exp(x)) overflows past x = log(709.78) = 6.565; the stencils reach x + 2h
    kept = finite_steps(engine, numeric_function(engine), [1.0], 0, hs,
                        ("central", "central4"))
    assert kept[-1] <= (6.565 - 1.0) / 2 < hs[len(kept)]
    assert np.array_equal(kept, hs[:len(kept)])
    # complex step alone reaches x + ih, where exp(exp(x + ih)) stays finite longer
    assert len(finite_steps(engine, numeric_function(engine), [1.0], 0, hs,
                            ("complex_step",))) > len(kept)
