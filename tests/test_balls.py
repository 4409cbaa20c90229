"""Ball arithmetic (verify.exact.balls): enclosures as rigorous as mpmath's, and the fall-backs."""
import mpmath
import pytest

from verify.exact import balls
from verify.exact.intervals import NotSmooth, interval_max_abs
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse, symbol


def test_ball_enclosure_holds_the_sampled_values_and_is_tight():
    expr = parse("exp(sin(x**2)) * atan(x) + sqrt(2 + cos(x))")
    with balls.precision(30):
        ball = balls.evaluate(expr, {symbol("x"): balls.span(0.5, 0.5 + 1e-4)}, {})
        top = balls.max_abs(ball)
    samples = [abs(mpmath.exp(mpmath.sin(x ** 2)) * mpmath.atan(x) + mpmath.sqrt(2 + mpmath.cos(x)))
               for x in (mpmath.mpf(0.5) + mpmath.mpf(1e-4) * k / 10 for k in range(11))]
    assert max(samples) <= top <= max(samples) * (1 + 1e-4)  # O(width) overestimation


def test_a_ball_meeting_a_domain_edge_is_not_smooth_and_mpmath_confirms():
    with balls.precision(20), pytest.raises(balls.BallNotSmooth):
        balls.evaluate(parse("log(x)"), {symbol("x"): balls.span(-0.1, 0.1)}, {})
    with pytest.raises(NotSmooth):
        interval_max_abs(parse("log(x)"), ("x",), [(-0.1, 0.1)])


def test_a_power_reaching_zero_is_left_to_mpmath():
    # balls give NaN for x**1.5 on [0, 1]; mpmath's interval gives the finite enclosure
    assert interval_max_abs(parse("x**(3/2)"), ("x",), [(0.0, 1.0)]) == pytest.approx(1, rel=1e-7)


def test_exact_values_from_ball_taylor_arithmetic_match_sympy_to_36_digits():
    engine = ExactFunction(parse("tanh(exp(sin(x)) / (1 + x**2))"), ("x",))
    point = mpmath.mpf("0.3")  # the float nearest 0.3, for both
    for order in (1, 3, 7):
        fast = engine._ball_value((order,), [point])
        assert fast is not None
        with mpmath.workdps(60):
            slow = engine.compiled((order,)).mp(point)
            assert abs(fast - slow) <= abs(slow) * mpmath.mpf(10) ** -36


def test_a_balls_ends_are_read_exactly_and_enclose_it():
    from fractions import Fraction

    from flint import arb

    def exactly(binary):  # an arf or an mpf, as a fraction
        if isinstance(binary, mpmath.mpf):
            sign, man, exp, _ = binary._mpf_
            man = -man if sign else man
        else:
            man, exp = (int(v) for v in binary.man_exp())
        return Fraction(int(man)) * Fraction(2) ** int(exp)
    with balls.precision(20):  # 76 bits: mid - rad needs more, which mpmath's sum would round
        for ball in (arb(1.3).exp(), arb(-0.7).atan(), arb(2).sqrt() * 1e-300):
            mid, rad = exactly(ball.mid()), exactly(ball.rad())
            assert rad > 0
            assert exactly(balls._mpf(ball, -1)) == mid - rad
            assert exactly(balls._mpf(ball, 1)) == mid + rad
            low, high = balls.ends(ball)
            assert exactly(low) <= mid - rad and mid + rad <= exactly(high)


def test_end_point_rules_and_domain_tests_stay_in_balls(monkeypatch):
    def refuse(*args):
        raise AssertionError("a ball's ends went through mpmath")
    x = symbol("x")
    expr = parse("log(2 + atan(x)) + sqrt(3 + x**2) + asin(x/4) + (1 + x**2)**(1/3)")
    with balls.precision(30):
        expected = balls.evaluate(expr, {x: balls.span(0.25, 0.5)}, {})
        monkeypatch.setattr(balls, "_mpf", refuse)
        ball = balls.evaluate(expr, {x: balls.span(0.25, 0.5)}, {})
    assert ball.mid() == expected.mid() and ball.rad() == expected.rad()
    # the function at 0.3 and 0.4, in float64
    assert ball.contains(3.691240310872208) and ball.contains(3.7958371076682895)


@pytest.mark.parametrize("text, exponent", [("(2 + sin(x))**(-3/2)", mpmath.mpf(-1.5)),
                                            ("(2 + sin(x))**(1/3)", mpmath.mpf(1) / 3),
                                            ("(2 + sin(x))**0.7", mpmath.mpf(0.7))])
def test_series_of_a_fractional_power_on_balls_holds_every_sampled_derivative(text, exponent):
    from verify.exact.derivatives import ball_max_abs
    top = ball_max_abs(parse(text), symbol("x"), (0.1, 0.2), 3)
    with mpmath.workdps(30):
        sampled = max(abs(mpmath.diff(lambda t: (2 + mpmath.sin(t)) ** exponent, x, 3))
                      for x in mpmath.linspace(0.1, 0.2, 9))
    assert top is not None and sampled <= top <= 2 * sampled  # O(width) overestimation


def test_a_fractional_power_of_a_ball_reaching_zero_is_not_decided_by_balls():
    from verify.exact.derivatives import ball_max_abs
    assert ball_max_abs(parse("(x + 0.1)**(1/3)"), symbol("x"), (-0.2, 0.1), 2) is None


@pytest.mark.parametrize("text", ["exp(sin(x**2)) * atan(x)", "sqrt(2 + cos(x))/(1 + x**2)",
                                  "log(1 + x**2)**3 - tanh(x)", "x**(1/3) * erf(x)"])
def test_shared_expansions_give_the_coefficients_of_separate_ones(text):
    # a coefficient does not depend on the order the series is cut at
    expr, x = parse(text), symbol("x")
    shared = balls.SharedExpansions(expr, x, 9)
    with balls.precision(30):
        for about in (balls.exact_point(0.7), balls.span(0.7, 0.75)):
            for m in range(10):
                alone = balls.taylor_coefficient(expr, x, about, m)
                together = shared.coefficient(about, m)
                assert together.mid() == alone.mid() and together.rad() == alone.rad()
            assert shared.coefficient(about, 11).overlaps(balls.taylor_coefficient(expr, x, about, 11))
    assert len(shared._series) == 2  # one expansion per ball, whatever m was asked


def test_shared_expansions_raise_again_what_the_expansion_raised():
    shared = balls.SharedExpansions(parse("log(x)"), symbol("x"), 6)
    with balls.precision(30):
        for _ in range(2):
            with pytest.raises(balls.BallNotSmooth):
                shared.coefficient(balls.span(-0.1, 0.1), 3)


def test_complex_balls_through_the_compiled_ball_function_match_mpmath():
    from verify.exact.compiled import Compiled
    fn = Compiled(parse("atan(exp(-x**2)) * sqrt(2 + sin(x)) + log(1 + x**2)"), ("x",)).ball(200)
    z = mpmath.mpc(mpmath.mpf(3) / 7, mpmath.mpf(1e-20))
    with balls.precision_bits(200):
        ball = fn(balls.to_acb(z))
    with mpmath.workdps(90):
        x = z
        exact = mpmath.atan(mpmath.exp(-x ** 2)) * mpmath.sqrt(2 + mpmath.sin(x)) \
            + mpmath.log(1 + x ** 2)
        slack = mpmath.mpf(10) ** -85  # mpmath's own rounding
        for part, value in ((ball.imag, exact.imag), (ball.real, exact.real)):
            # the ball holds the value; its radius is relative to |f|, not to the part
            assert abs(balls.midpoint(part) - value) <= balls.max_abs(part - part.mid()) + slack
            assert part.rad() < 1e-55
