from fractions import Fraction

import pytest

from verify.numeric.stencils import OFFERED, standard_step, stencil


@pytest.mark.parametrize("method, order, nodes, weights, accuracy", [
    ("forward", 1, (0, 1), (-1, 1), 1),
    ("backward", 1, (-1, 0), (-1, 1), 1),
    ("central", 1, (-1, 1), (Fraction(-1, 2), Fraction(1, 2)), 2),
    ("central", 2, (-1, 0, 1), (1, -2, 1), 2),
    ("central4", 1, (-2, -1, 1, 2), (Fraction(1, 12), Fraction(-2, 3), Fraction(2, 3), Fraction(-1, 12)), 4),
    ("central4", 2, (-2, -1, 0, 1, 2),
     (Fraction(-1, 12), Fraction(4, 3), Fraction(-5, 2), Fraction(4, 3), Fraction(-1, 12)), 4),
])
def test_textbook_stencils(method, order, nodes, weights, accuracy):
    st = stencil(method, order)
    assert st.nodes == tuple(Fraction(n) for n in nodes)
    assert st.weights == tuple(Fraction(w) for w in weights)
    assert st.accuracy == accuracy


@pytest.mark.parametrize("method, order, constant", [
    ("forward", 1, 1 / 2), ("central", 1, 1 / 6), ("central", 2, 1 / 12),
    ("central4", 1, 1 / 30), ("central4", 2, 1 / 90),
])
def test_peano_constants_match_the_classical_error_terms(method, order, constant):
    # e.g. central: f'(x) - D(h) = -h^2 f'''(xi)/6, so C = 1/6
    assert stencil(method, order).peano_constant == pytest.approx(constant, rel=0.02)


def test_richardson_combines_central_differences_to_order_six():
    st = stencil("richardson", 1, 3)
    assert st.accuracy == 6 and st.levels == 3
    assert sum(st.weights) == 0
    assert sum(w * s for s, w in zip(st.nodes, st.weights)) == 1


def test_every_offered_stencil_is_exact_on_polynomials_below_its_degree():
    for method, orders in OFFERED.items():
        if method == "complex_step":
            continue
        for order in orders:
            st = stencil(method, order)
            for k in range(order + st.accuracy):
                moment = sum(w * s ** k for s, w in zip(st.nodes, st.weights))
                expected = 1 if k == order else 0
                from math import factorial
                assert moment / factorial(k) == expected, (method, order, k)


def test_unoffered_orders_are_refused():
    with pytest.raises(ValueError, match="`richardson` offers derivative orders 1 to 4, not 5."):
        stencil("richardson", 5)


def test_standard_central_step_is_the_textbook_cube_root():
    u = 2.0 ** -53
    assert standard_step("central", 1, 1.0, u) == pytest.approx((3 * u) ** (1 / 3), rel=0.02)
    assert standard_step("central", 1, 100.0, u) == pytest.approx(100 * (3 * u) ** (1 / 3), rel=0.02)
