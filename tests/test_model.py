"""One error model per method (verify/bounds/model.py), shared by the
predicted bound and the error curve (issue 14, item 2)."""
import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
import sympy

from verify.bounds import model as error_models
from verify.exact.derivatives import at_point
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.input.values import Value
from verify.numeric import curves
from verify.numeric.stencils import stencil

U = 2.0 ** -53


@pytest.mark.parametrize("method", ["forward", "backward", "central", "central4", "richardson"])
def test_a_stencil_method_reads_its_constants_from_its_stencil(method):
    st = stencil(method, 1)
    model = error_models.method_model(method)
    assert (model.accuracy, model.constant, model.rounding_power) == \
        (st.accuracy, st.peano_constant, 1)
    assert model.derivative == 1 + st.accuracy and model.span == st.span
    # the moments of the stencil: 1 for f', 0 below the leading order
    assert model.moments[1] == 1 and all(model.moments[k] == 0 for k in range(2, model.derivative)
                                        if k != 1)


def test_complex_step_is_stated_once_h_squared_over_six_and_no_rounding_growth():
    model = error_models.method_model("complex_step")
    assert (model.accuracy, model.constant, model.rounding_power) == (2, 1 / 6, 0)
    assert model.moments[3] == Fraction(-1, 6) and model.moments[5] == Fraction(1, 120)
    assert model.moments[4] == 0
    # rounding does not grow as h shrinks; truncation is h^2 |f'''| / 6
    assert error_models.rounding_term(model, 1e-10, 3e-16, 1e-16) == pytest.approx(4e-16)
    assert error_models.truncation_term(model, 1e-3, 6.0) == pytest.approx(1e-6)


def test_the_terms_scale_with_h_as_the_method_says():
    central = error_models.method_model("central")
    assert error_models.truncation_term(central, 1e-2, 1.0) == pytest.approx(
        stencil("central", 1).peano_constant * 1e-4)
    assert error_models.rounding_term(central, 1e-8, 2e-16) == pytest.approx(2e-8)
    # overflow is an infinite bound, not a crash (x**3 at 1e53)
    assert math.isinf(error_models.truncation_term(central, 1e200, 1e200))


def test_the_bound_and_the_curve_use_the_same_model():
    # the curve's model at a point has the bound's truncation constant and rounding
    model = error_models.error_model("central", [1.0, 2.0, 0.5, 6.0, 1.0, 2.0],
                                     value_error=3 * U, unit_roundoff=U)
    method = error_models.method_model("central")
    assert model.truncation == error_models.truncation_term(method, 1.0, 6.0)
    assert model.rounding == error_models.rounding_term(method, 1.0, stencil("central", 1).weight_sum * 3 * U)
    assert float(model.error(1e-3)) == pytest.approx(
        error_models.truncation_term(method, 1e-3, 6.0)
        + error_models.rounding_term(method, 1e-3, 3 * U) + U * 2.0)


def test_the_model_holds_only_where_the_function_stays_close_to_its_taylor_term():
    (x,) = parse("x").free_symbols
    text = "atan(exp(-(3*x**3)**2)) + x**3/2 - x/2 + 1"
    at = Value("-1.367", sympy.Rational(-1367, 1000))
    derivatives = at_point(ExactFunction(parse(text), ("x",)), (at,), 0, 9)
    model = error_models.error_model("central4", derivatives, value_error=4 * U,
                                     unit_roundoff=U)
    hs = curves.steps(1e-16, 1.0, 100)
    limit = error_models.holds_below(model, "central4", parse(text), x, at, hs)
    # 1e-26 at the point, 0.58 at x + 2: the Taylor term there says nothing at h = 1
    assert 1e-4 < limit < 0.2
    smooth = parse("exp(x)")
    one = Value("1", sympy.Integer(1))
    steady = error_models.error_model("central", at_point(ExactFunction(smooth, ("x",)), (one,), 0, 7),
                                      value_error=U, unit_roundoff=U)
    assert error_models.holds_below(steady, "central", smooth, x, one, hs) > 1e-2


def test_the_methods_proofs_on_shared_expansions_are_those_on_their_own():
    from verify.exact import balls
    (x,) = parse("x").free_symbols
    text = "atan(exp(-(3*x**3)**2)) + x**3/2 - x/2 + 1"
    at = Value("-1.367", sympy.Rational(-1367, 1000))
    derivatives = at_point(ExactFunction(parse(text), ("x",)), (at,), 0, 12)
    hs = curves.steps(1e-16, 1.0, 100)
    methods = ("forward", "central", "central4", "richardson", "complex_step")
    shared = balls.SharedExpansions(parse(text), x, max(map(error_models.proof_order, methods)))
    for method in methods:
        model = error_models.error_model(method, derivatives, value_error=4 * U,
                                         derivative_error=U, unit_roundoff=U)
        alone = error_models.holds_below(model, method, parse(text), x, at, hs)
        assert error_models.holds_below(model, method, parse(text), x, at, hs,
                                        expansions=shared) == alone


def test_the_nodes_rounding_grows_with_h_where_x_is_lost():
    # x = 5e-46, f' = 0 and f'' = 2 there: fl(x +- h) = +-h loses x, and the
    # quotient misses f'(x) = 2x by up to u |f''| h per unit of sum |w| c^2
    terms = error_models.node_terms("central", 1, [0.0, 1e-45, 2.0], 5e-46, U)
    assert (4 * U, 1) in [(pytest.approx(c), p) for c, p in terms]
    model = error_models.error_model("central", [0.0, 1e-45, 2.0, 0.0, 1.0, 0.0, 0.0, 0.0],
                                     value_error=0.0, unit_roundoff=U, coordinate=5e-46)
    assert float(model.error(1e-8)) >= 2 * U * 1e-8
    # values that outgrow f(x) = 0: x**3 at 0 has f(+-h) = +-h**3, rounded on that size
    cube = error_models.node_terms("richardson", 1, [0.0, 0.0, 0.0, 6.0], 0.0, U)
    st = stencil("richardson", 1)
    reach = float(sum(abs(w) * abs(c) ** 3 for c, w in zip(st.nodes, st.weights)))
    assert cube == ((pytest.approx(U * reach), 2),)  # u |f(3)| sum |w| |c|^3 / 3! h^2
    assert error_models.node_terms("complex_step", 1, [1.0, 2.0, 3.0], 1.0, U) == ()


def test_the_valley_with_the_nodes_is_the_lowest_point_of_the_model():
    grid = np.geomspace(1e-12, 1e2, 400001)
    lifted = error_models.Model(truncation=1e-3, power=2, derivative=3, rounding=1e-16, order=1,
                                floor=0.0, nodes=((1e-8, 1),))
    assert lifted.best_h == pytest.approx(grid[np.argmin(lifted.error(grid))], rel=1e-4)
    assert lifted.best_h < (1e-16 / (2 * 1e-3)) ** (1 / 3)  # the node term pulls it down
    # negligible nodes leave the closed form exactly as it was
    plain = error_models.Model(1e-3, 2, 3, 1e-16, 1, 0.0)
    assert replace(plain, nodes=((1e-40, 1),)).best_h == plain.best_h
    # terms that overflow a float far out (h**11 at h = 1e300) do not break the search
    wide = replace(lifted, nodes=((1e-30, 11), (1e-20, 1)))
    assert 0 < wide.best_h < 1


def test_the_valley_of_an_overflowing_model_is_found_without_logs_of_0_or_infinity():
    # a truncation of inf (a derivative past float64) made h* 0, and log(0) failed;
    # an h* of inf with node terms made the search halve infinity for ever
    nodes = ((1e-16, 0), (1e-20, 1))
    assert error_models.Model(math.inf, 2, 3, 1e-16, 1, 0.0, nodes=nodes).best_h == 0.0
    assert error_models.Model(1e-300, 6, 7, 1e300, 1, 0.0, nodes=nodes).best_h == math.inf
    # a truncation below float64's normal numbers: the node term 1e-20 h sets it
    tiny = error_models.Model(1e-320, 2, 3, 1e-16, 1, 0.0, nodes=nodes)
    assert tiny.best_h == pytest.approx(math.sqrt(1e-16 / 1e-20), rel=1e-6)
