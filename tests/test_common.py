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


def test_stencils_inside_a_wide_span_proved_smooth_need_no_proof_of_their_own(monkeypatch):
    from verify.exact import balls
    engine = ExactFunction(parse("exp(sin(x)) / (2 + cos(x))"), ("x",))
    assert smooth_between(engine, (2,), 0, [0.5])(0.5 - 1e-5, 0.5 + 1e-5)
    monkeypatch.setattr(balls, "taylor_coefficient",
                        lambda *a, **k: pytest.fail("a stencil was proved again"))
    admissible = smooth_between(engine, (2,), 0, [0.5])  # another method, same point
    assert admissible(0.5, 0.5 + 2e-8) and admissible(0.45, 0.55)


def test_a_wide_span_over_a_pole_leaves_each_stencil_to_its_own_proof():
    # x -+ 0.1 holds the pole at 0.55: no wide span; a stencil beside it still passes
    engine = ExactFunction(parse("1/(x - 0.55)"), ("x",))
    admissible = smooth_between(engine, (2,), 0, [0.5])
    assert admissible(0.49, 0.51)
    assert not admissible(0.45, 0.56)


def _layer_context(expression, variables, at):
    """A PointContext of a small layer-like function at the point ``at``."""
    from verify.checks.common import PointContext, numeric_function
    from verify.input.values import parse_value
    engine = ExactFunction(parse(expression), variables)
    point = tuple(parse_value(str(v)) for v in at)
    return PointContext(None, None, engine, point, [p.float64 for p in point],
                        "", {}, f=numeric_function(engine))


LOGSUMEXP = "log(exp(a*4/5 + b) + exp(c*4/5 - a) + exp(b*c))"


@pytest.mark.parametrize("method", ["central", "richardson", "complex_step"])
def test_partial_with_bound_is_the_difference_and_bound_computed_directly(method):
    from verify.bounds.predicted import partial_bound
    from verify.checks import common
    from verify.numeric import differences
    at = _layer_context(LOGSUMEXP, ("a", "b", "c"), (0.3, -0.7, 1.1))
    for index in range(3):
        guard = None if method == "complex_step" else smooth_between(
            at.engine, tuple(2 if k == index else 0 for k in range(3)), index, at.floats)
        direct = differences.partial(at.f, at.floats, index, method=method, admissible=guard)
        bound = partial_bound(at.engine, at.point, direct, index, unit_roundoff=2.0 ** -53)
        shared, shared_bound = common.partial_with_bound(at, index, method)
        assert shared == direct and shared_bound == bound
        assert abs(shared.value - float(at.engine.value(
            tuple(int(k == index) for k in range(3)), at.point))) <= shared_bound.total


def test_partial_with_bound_is_computed_once_and_never_shared_between_functions(monkeypatch):
    from verify.checks import common
    from verify.numeric import differences
    monkeypatch.setattr(common, "_DIFFERENCES", {})
    monkeypatch.setattr(common, "_GUARDED", {})
    calls = []
    real = differences.partial
    monkeypatch.setattr(differences, "partial", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = _layer_context(LOGSUMEXP, ("a", "b", "c"), (0.3, -0.7, 1.1))
    again = common.partial_with_bound(first, 1, "central")
    assert common.partial_with_bound(first, 1, "central") is again and len(calls) == 1
    # another entry, step, point or function: computed, not taken from the memo
    assert common.partial_with_bound(first, 2, "central")[0].value != again[0].value
    assert common.partial_with_bound(first, 1, "central", h=1e-4)[0].h == pytest.approx(1e-4)
    moved = _layer_context(LOGSUMEXP, ("a", "b", "c"), (0.3, -0.6, 1.1))
    assert common.partial_with_bound(moved, 1, "central")[0].value != again[0].value
    other = _layer_context("3*" + LOGSUMEXP, ("a", "b", "c"), (0.3, -0.7, 1.1))
    tripled = common.partial_with_bound(other, 1, "central")[0].value
    assert tripled == pytest.approx(3 * again[0].value, rel=1e-8)
    assert len(calls) == 5


def test_a_gradients_stencils_rounded_in_one_walk_give_each_entry_its_own_bound(monkeypatch):
    """prefetch_partials walks f once over every entry's stencil; each entry's
    bound is then the one it gets alone, number for number."""
    from verify.bounds import predicted
    from verify.checks import common
    alone = _layer_context(LOGSUMEXP, ("a", "b", "c"), (0.3, -0.7, 1.1))
    expected = [common.partial_bound(alone.engine, alone.point,
                                     common.guarded_difference(alone, i, method), i,
                                     unit_roundoff=2.0 ** -53)
                for method in ("central", "richardson") for i in range(3)]
    together = _layer_context(LOGSUMEXP, ("a", "b", "c"), (0.3, -0.7, 1.1))
    walks = []
    real = predicted.running_error
    monkeypatch.setattr(predicted, "running_error", lambda *a, **k: walks.append(1) or real(*a, **k))
    common.prefetch_partials(together, [("central", None), ("richardson", None)])
    assert len(walks) == 1  # one for every method and entry
    found = [common.partial_with_bound(together, i, method)[1]
             for method in ("central", "richardson") for i in range(3)]
    assert found == expected and len(walks) == 1


def test_the_compiled_function_of_one_variable_takes_the_stencils_column_as_it_is():
    import warnings
    import numpy as np
    from verify.checks.common import numeric_function
    from verify.exact.compiled import Compiled
    from verify.exact.symbolic import ExactFunction
    from verify.input.expressions import parse
    engine = ExactFunction(parse("exp(x**2)/(1 + x)"), ("x",))
    f = numeric_function(engine)
    points = np.array([[0.5], [-1.0], [40.0], [2.0]])  # a pole and an overflow among them
    expected = Compiled(engine.expression, ("x",)).rows(points)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(points)
        assert np.array_equal(got, expected, equal_nan=True) and got.dtype == np.float64
        # complex points and lists take the general path, with the same values
        assert np.allclose(f(points.astype(complex)).real[[0, 3]], expected[[0, 3]])
        assert np.array_equal(f([[0.5], [2.0]]), expected[[0, 3]])


def test_a_point_too_far_for_mpmaths_intervals_is_skipped_not_an_internal_error(tmp_path):
    # exp(2 x**2) at x = -1.5e8: mpmath's interval exp shifts by 1e16 bits
    # (MemoryError); the step guard leaves it to the finite-value test, and the
    # overflowing backprop pass warns no one
    import warnings
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text('name: far\nfunction: "sqrt(1 + sigmoid(exp(3*x**2 - x))**2)'
                    ' * exp(2*x**2 - x) + x + 1"\nat: {x: -152653574.1155025}\n'
                    "checks: [derivative, backprop]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        rows = run(path)
    assert not rows.message.str.contains("internal error").any()
    assert set(rows[rows.check == "derivative"].status) == {"skip"}
    assert "beyond" in rows[rows.check == "derivative"].message.iloc[0]
