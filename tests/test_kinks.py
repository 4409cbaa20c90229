import pytest

import verify

from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.bounds.kinks import derivative_at, kink_at, point_problem
from verify.core.functions import is_analytic
from verify.input.values import parse_value


def engine(text, variables=("x",)):
    return ExactFunction(parse(text), variables)


@pytest.mark.parametrize("text, point, words", [
    ("abs(x)", ["0"], "x=0 is a kink of abs(x) (not differentiable there); one-sided derivatives: "
                       "d/dx = -1.0 (left), 1.0 (right)"),
    ("relu(x)", ["0"], "is a kink of relu(x)"),
    ("relu(x)", ["0"], "d/dx = 0.0 (left), 1.0 (right)"),
    ("Max(x, y)", ["1", "1"], "x=1, y=1 is a kink of Max(x, y)"),
    ("Min(x, 2*x)", ["0"], "kink of Min(x, 2*x)"),
])
def test_kinks_are_named_with_one_sided_derivatives(text, point, words):
    variables = ("x", "y") if len(point) == 2 else ("x",)
    message = kink_at(engine(text, variables), [parse_value(p) for p in point])
    assert message is not None and words in message


def test_smooth_points_and_near_kinks_are_not_kinks():
    assert kink_at(engine("abs(x)"), [parse_value("1e-12")]) is None
    assert kink_at(engine("relu(x)"), [parse_value("0.6")]) is None


def test_point_problem_orders_domain_before_kink():
    assert "outside the domain" in point_problem(engine("log(x) + abs(x)"), [parse_value("-1")])
    assert "kink" in point_problem(engine("abs(x)"), [parse_value("0")])
    assert point_problem(engine("sin(x)"), [parse_value("1")]) is None


def test_analyticity_decides_complex_step():
    assert is_analytic(parse("exp(sin(x)) + sigmoid(x)"))
    assert not is_analytic(parse("relu(x)"))
    assert not is_analytic(parse("abs(x) + 1"))


ISSUE_DIFFERENTIABLE = [("Max(x - 1, 0)**5 + Min(x - 1, 0)**3", "1"), ("x*abs(x)", "0"),
                        ("abs(x)**3", "0"), ("relu(x)**2", "0")]


@pytest.mark.parametrize("text, x", ISSUE_DIFFERENTIABLE)
def test_switches_with_agreeing_one_sided_derivatives_are_not_kinks(text, x):
    # issue 10 item 5 (the first is SciPy's own test)
    verdict = derivative_at(engine(text), (1,), [parse_value(x)])
    assert verdict.problem is None and verdict.value == 0 and "switch" in verdict.switch
    assert kink_at(engine(text), [parse_value(x)]) is None


@pytest.mark.parametrize("text, order, left, right", [
    ("x*abs(x)", 2, "-2.0", "2.0"), ("relu(x)**2", 2, "0.0", "2.0"),
    ("abs(x)**3", 3, "-6.0", "6.0"), ("Max(x - 1, 0)**5 + Min(x - 1, 0)**3", 3, "6.0", "0.0")])
def test_a_derivative_whose_one_sided_values_differ_is_a_kink(text, order, left, right):
    x = "1" if "Max" in text else "0"
    verdict = derivative_at(engine(text), (order,), [parse_value(x)])
    assert verdict.value is None
    assert f"d{order}/dx{order} does not exist there" in verdict.problem
    assert f"= {left} (left), {right} (right)" in verdict.problem


def test_second_derivative_at_a_switch_is_the_pieces_value_not_sign_of_zero():
    # d2/dx2 of abs(x)**3 + 2*relu(x)**3 at 0 is 0; the formula with sign(0)=0 and
    # Heaviside(0)=1/2 would not say why; abs(sin(x))**2 has d2 = 2 from both sides
    assert derivative_at(engine("abs(sin(x))**2"), (2,), [parse_value("0")]).value == 2
    verdict = derivative_at(engine("Max(x, 0, 2*x)**2"), (1,), [parse_value("0")])
    assert verdict.value == 0 and verdict.problem is None


def test_mixed_derivatives_at_a_switch():
    xy = ("x", "y")
    at00 = [parse_value("0"), parse_value("0")]
    at01 = [parse_value("0"), parse_value("1")]
    # abs(x*y) bends between x and y: its pieces along each axis alone would say 1
    assert "not judged" in derivative_at(engine("abs(x*y)", xy), (1, 1), at00).problem
    assert derivative_at(engine("abs(x)**3*y**2", xy), (1, 1), at01).value == 0
    assert "kink" in derivative_at(engine("abs(x)*y", xy), (1, 1), at01).problem
    along_y = derivative_at(engine("abs(x)**3 + y**2", xy), (0, 2), at01)
    assert along_y.value == 2 and along_y.line_piece is not None


def test_differentiable_switch_end_to_end():
    table = verify.check("relu(x)**2", at={"x": 0}, checks=["derivative", "backprop"],
                         expect={"derivative": 0})
    by = {(r.method, r.quantity): r for r in table.itertuples()}
    assert by[("exact", "expect:derivative")].status == "pass"
    assert by[("backprop", "grad[x]")].status == "pass" and by[("backprop", "grad[x]")].numeric == 0
    assert by[("three-way", "agree[x]")].status == "pass"
    central = by[("central", "d/dx")]
    assert central.status == "skip" and "d2f/dx2 jumps there" in central.message
    wrong = verify.check("relu(x)**2", at={"x": 0}, checks=["derivative"],
                         expect={"derivative": 1})
    assert wrong[wrong.method == "exact"].status.tolist() == ["fail"]
    second = verify.check("x*abs(x)", at={"x": 0}, checks={"derivative": {"order": 2}})
    assert (second.status == "error").all()
    assert "d2/dx2 does not exist" in second.message.iloc[0]


def test_gradient_along_a_line_without_switch_is_judged():
    table = verify.check("abs(x)**3 + y**2", at={"x": 0, "y": 1}, checks=["gradient"])
    along_y = table[table.quantity == "grad[y]"]
    assert set(along_y.status) == {"pass", "skip"}
    assert (along_y[along_y.status == "pass"].bound_kind == "rigorous").all()
    assert (along_y.status == "pass").sum() == 5


def test_finite_differences_across_a_switch_are_judged_where_f_is_smooth_enough():
    # f in C^(m-1) with a jump in f^(m): the Peano bound holds with each piece's f^(m)
    table = verify.check("Max(x - 1, 0)**5 + Min(x - 1, 0)**3", at={"x": 1},
                         checks={"derivative": {"methods": ["forward", "central", "central4"]}})
    by = {r.method: r for r in table.itertuples()}
    assert by["forward"].status == "pass" and by["forward"].bound_kind == "rigorous"
    assert by["central"].status == "pass" and by["central"].bound_kind == "rigorous"
    assert by["central4"].status == "skip" and "d3f/dx3 jumps there" in by["central4"].message
    # x*abs(x): forward's error is exactly h; the bound h * max|f''| / 2 * 2 must cover it
    forward = verify.check("x*abs(x)", at={"x": 0}, checks={"derivative": {"methods": ["forward"]}})
    row = forward.iloc[0]
    assert row.status == "pass" and row.numeric == pytest.approx(row.h)
    assert row.numeric <= row.tolerance <= 3 * row.numeric


def test_a_piece_is_used_only_where_it_holds():
    # abs(sin(1000 x)) switches again at pi/1000: a step of 0.01 would leave the pieces
    table = verify.check("abs(sin(1000*x))**3", at={"x": 0},
                         checks={"derivative": {"methods": ["central"], "h": 0.01}})
    row = table.iloc[0]
    assert row.status == "pass" and row.h < 3.14e-3 and "step shrunk" in row.message


def test_a_function_without_a_switch_never_reaches_the_kink_machinery(monkeypatch):
    from verify.bounds import kinks

    def refuse(*args, **kwargs):
        raise AssertionError("the kink machinery ran for a function without a switch")
    for name in ("_switching", "_pieces", "piece_beside"):
        monkeypatch.setattr(kinks, name, refuse)
    smooth = engine("log(exp(x*y) + exp(y)) + sin(x)", ("x", "y"))
    point = [parse_value("0.5"), parse_value("-0.25")]
    verdict = derivative_at(smooth, (1, 0), point)
    assert verdict.problem is None and verdict.switch is None
    # y exp(xy) / (exp(xy) + exp(y)) + cos(x), computed here in float64
    assert abs(float(verdict.value) - 0.7447802185469337) < 1e-15
    assert kinks.sides_at(smooth, point, 0) is None
    assert kinks.first_jump(smooth, point, 0, 1, 3) is None
    assert kinks.switch_at(smooth, point) is None
    assert point_problem(smooth, point) is None
    # a function with a switch still reaches it, and its kinks are still found
    monkeypatch.undo()
    assert "kink of abs(x - y)" in kink_at(engine("abs(x - y) + x", ("x", "y")),
                                            [parse_value("1"), parse_value("1")])


# where(c, a, b) at a point where c's two sides are equal (issue 13 item 3, CASES.md
# v1.1): each side takes the branch c decides there; the one-sided derivatives are
# those branches' derivatives, written out here by hand
WHERE_JOINS = [
    # (function, x, order, the common one-sided value)
    ("elu(x)", "0", 1, 1),                                   # exp(0) = 1 left, 1 right
    ("where(x < 0, x**2, x**3)", "0", 1, 0),                 # 2x = 0 left, 3x^2 = 0 right
    ("where(x < 0, sin(x), x)", "0", 1, 1),                  # cos 0 = 1 left, 1 right
    ("where(x < 0, sin(x), x)", "0", 2, 0),                  # -sin 0 = 0 left, 0 right
    ("where(x**2 < 1, x**2, 2*abs(x) - 1)", "1", 1, 2),      # 2x = 2 inside, 2 outside
    ("where(x**2 < 1, x**2, 2*abs(x) - 1)", "-1", 1, -2),    # -2 outside (left), 2x = -2 inside
    ("where(x >= 0, x, sin(x))", "0", 1, 1),                 # the comparison flipped
    ("where(0 < x**3, x**3, 0)", "0", 2, 0),                 # x**3's first coefficient is of order 3
]
WHERE_KINKS = [
    # (function, x, order, left, right)
    ("elu(x)", "0", 2, "1.0", "0.0"),                        # exp(0) left, 0 right
    ("where(x < 0, x**2, x**3)", "0", 2, "2.0", "0.0"),
    ("where(x < 0, sin(x), x)", "0", 3, "-1.0", "0.0"),      # -cos 0 left, 0 right
    ("where(x**2 < 1, x**2, 2*abs(x) - 1)", "1", 2, "2.0", "0.0"),
    ("where(x**2 < 1, x**2, 2*abs(x) - 1)", "-1", 2, "0.0", "2.0"),
    ("where(x < 0, -x, 2*x)", "0", 1, "-1.0", "2.0"),
]


@pytest.mark.parametrize("text, x, order, value", WHERE_JOINS)
def test_a_where_whose_branches_join_smoothly_has_the_derivative(text, x, order, value):
    verdict = derivative_at(engine(text), (order,), [parse_value(x)])
    assert verdict.problem is None and verdict.value == value
    assert "switch" in verdict.switch


@pytest.mark.parametrize("text, x, order, left, right", WHERE_KINKS)
def test_a_where_whose_one_sided_derivatives_differ_is_a_kink(text, x, order, left, right):
    verdict = derivative_at(engine(text), (order,), [parse_value(x)])
    assert verdict.value is None and "is a kink of" in verdict.problem
    assert f"= {left} (left), {right} (right)" in verdict.problem


def test_a_where_whose_branches_do_not_meet_is_a_jump_not_a_kink():
    # where(x < 0, 0, 1): 0 left, 1 right and at the point; no derivative exists
    jump = derivative_at(engine("where(x < 0, 0, 1)"), (1,), [parse_value("0")]).problem
    assert "is a jump of where(x < 0, 0, 1): f is not continuous there" in jump
    assert "f = 1.0 at the point; beside it 0.0 (left), 1.0 (right)" in jump
    # x**2 <= 0 holds at 0 only: cos(x) on both sides, 5 at the point itself
    point = derivative_at(engine("where(x**2 <= 0, 5, cos(x))"), (1,), [parse_value("0")])
    assert "f = 5.0 at the point; beside it 1.0 (left), 1.0 (right)" in point.problem
    # ... but with the value cos(0) = 1 there, f is cos(x) near 0: f' = 0, f'' = -1
    joined = engine("where(x**2 <= 0, 1, cos(x))")
    assert derivative_at(joined, (1,), [parse_value("0")]).value == 0
    assert derivative_at(joined, (2,), [parse_value("0")]).value == -1


def test_a_where_comparison_not_decided_stays_an_error_and_an_identity_is_no_switch():
    # x**13's first nonzero coefficient is past the 12 compared: no verdict, no pass
    undecided = derivative_at(engine("where(x**13 < 0, x, sin(x))"), (1,), [parse_value("0")])
    assert undecided.value is None and "not decided" in undecided.problem
    # (x+1)^2 - x^2 - 2x - 1 is 0 everywhere: '< 0' never holds, f = sin(x), f' = cos 0
    identity = engine("where((x + 1)**2 - x**2 - 2*x - 1 < 0, x, sin(x))")
    assert derivative_at(identity, (1,), [parse_value("0")]).value == 1


def test_a_where_away_from_its_switch_and_its_kink_message():
    assert kink_at(engine("where(x < 0, -x, x)"), [parse_value("0.5")]) is None
    assert "kink of where(x < 0, -x, x)" in kink_at(engine("where(x < 0, -x, x)"),
                                                   [parse_value("0")])


PROPERTY_BRANCHES = ["sin(x)", "exp(x)", "cos(2*x) + x", "log(1 + x**2)", "tanh(x)*exp(x)",
                     "sigmoid(x)", "x**3 - 2*x"]


@pytest.mark.parametrize("seed", range(6))
def test_where_joined_at_zero_with_a_term_of_order_k_is_a_kink_of_order_k(seed):
    # b = a + c x^k agrees with a to order k - 1 at 0 and differs by c k! at order k
    import random
    import sympy
    rng = random.Random(seed)
    a = rng.choice(PROPERTY_BRANCHES)
    k, c = rng.randint(1, 4), rng.choice([-3, -1, 2, 5])
    f = engine(f"where(x < 0, {a}, {a} + {c}*x**{k})")
    x = f.symbols[0]  # the parser's symbol (it carries assumptions)
    at = [parse_value("0")]
    for n in range(1, k):
        verdict = derivative_at(f, (n,), at)
        assert verdict.problem is None
        assert abs(float(verdict.value) - float(sympy.diff(parse(a), x, n).subs(x, 0))) < 1e-12
    kink = derivative_at(f, (k,), at)
    assert kink.value is None and "kink of where" in kink.problem
    left = float(sympy.diff(parse(a), x, k).subs(x, 0))
    assert mpmath_text(left) + " (left), " + mpmath_text(left + c * sympy.factorial(k)) \
        + " (right)" in kink.problem


def mpmath_text(value):
    import mpmath
    return mpmath.nstr(mpmath.mpf(float(value)), 12, min_fixed=-6)


def test_tied_pieces_are_compared_beside_the_point_without_simplifying(monkeypatch):
    """Whether two tied arguments are one function is decided at probe points
    beside the switch (SymPy's equals simplifies: a minute for this Max at 0).
    Identical pieces make no switch; different ones are told apart."""
    import sympy

    def refuse(*args, **kwargs):
        raise AssertionError("equals called")
    monkeypatch.setattr(sympy.Expr, "equals", refuse)
    nested = "Max(sqrt(1 + (x/(2 + acos(tanh(cosh(tanh(y)))/2)**2))**2), cos(x))"
    engine = ExactFunction(parse(nested), ("x", "y"))
    problem = point_problem(engine, [parse_value("0"), parse_value("0")])
    assert "finite differences straddle the switch" in problem
    same = ExactFunction(parse("Max(sin(x)**2 + cos(x)**2, 1) + x**3"), ("x",))
    verdict = derivative_at(same, (1,), [parse_value("0")])
    assert verdict.problem is None and verdict.value == 0


def test_a_value_proved_real_by_balls_skips_the_symbolic_pole_and_complex_search(monkeypatch):
    from verify.bounds import kinks

    def refuse(*args, **kwargs):
        raise AssertionError("searched the pieces symbolically although balls proved them real")
    monkeypatch.setattr(kinks, "infinite_piece", refuse)
    monkeypatch.setattr(kinks, "complex_piece", refuse)
    smooth = engine("tanh(log(1 + x**2)) + sqrt(2 + sin(x))")
    assert derivative_at(smooth, (1,), [parse_value("-1.4")]).problem is None
    monkeypatch.undo()
    # where balls refuse (a log of a negative number), the search still names the piece
    message = derivative_at(engine("tanh(log(x))"), (1,), [parse_value("-1.4")]).problem
    assert message is not None and "log(x) is not defined at x=-1.4" in message
