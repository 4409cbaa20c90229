import pytest

from verify.exact import ExactFunction
from verify.expressions import parse
from verify.kinks import is_analytic, kink_at, point_problem
from verify.values import parse_value


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
