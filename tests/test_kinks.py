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
    for name in ("_switching", "_where_switch", "_pieces", "_piece_engine"):
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
