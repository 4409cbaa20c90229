import sympy
import pytest

from verify.input.expressions import DataSum, ExpressionError, operations, parse, parse_number, symbol

x, y = symbol("x"), symbol("y")


@pytest.mark.parametrize("text, expected", [
    ("x**2 + 2*x*y", x**2 + 2 * x * y),
    ("exp(sin(x**2 + 1))", sympy.exp(sympy.sin(x**2 + 1))),
    ("relu(x)", sympy.Max(0, x)),
    ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
    ("softplus(x)", sympy.log(1 + sympy.exp(x))),
    ("abs(x) + Max(x, y, 1) - Min(x, y)", sympy.Abs(x) + sympy.Max(x, y, 1) - sympy.Min(x, y)),
    ("-x + +y", -x + y),
    ("log(x) / sqrt(x)", sympy.log(x) / sympy.sqrt(x)),
    ("pi * E", sympy.pi * sympy.E),
])
def test_allowed_syntax_builds_the_sympy_expression(text, expected):
    assert parse(text) == expected


def test_decimal_literals_are_exact_decimals():
    assert parse("0.1*x") == sympy.Rational(1, 10) * x
    assert parse_number("1e-9") == sympy.Rational(1, 10**9)


def test_other_names_are_plain_real_symbols():
    gamma, beta = parse("gamma + beta").free_symbols
    assert {gamma.name, beta.name} == {"gamma", "beta"}
    assert gamma.is_real and not isinstance(gamma, sympy.FunctionClass)


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('ls')", "only calls of the allowed functions"),
    ("__import__('os')", "unknown function '__import__'"),
    ("x.__class__", "attribute access is not allowed: 'x.__class__'"),
    ("lambda: 1", "lambdas are not allowed"),
    ("foo(x)", "unknown function 'foo'"),
    ("'text'", "strings are not allowed"),
    ("x[0]", "subscripts are not allowed"),
    ("[a for a in b]", "comprehensions are not allowed"),
    ("_secret + 1", "names must start with a letter"),
    ("x if y else 1", "ifexp is not allowed"),
    ("x == 1", "comparisons are allowed only as the first argument of where"),
    ("exp", "function 'exp' is used without arguments"),
    ("Max(x)", "'Max' takes two or more arguments"),
    ("sin(x, y)", "'sin' takes exactly 1 argument"),
    ("sin(x=1)", "'sin' takes no keyword arguments"),
    ("x**(10**10)", "exponent is larger than 1000"),
    ("(10**1000)**1000", "more than 10000 digits"),
    ("sum(x)", "'sum' needs the case's 'data'"),
    ("x +", "not a valid expression"),
    ("", "expression is empty"),
])
def test_refused_text_names_the_reason_and_the_text(text, message):
    with pytest.raises(ExpressionError, match=None) as info:
        parse(text)
    assert message in str(info.value)


def test_length_and_depth_limits_refuse_without_recursing():
    with pytest.raises(ExpressionError, match="characters long; the limit is 10000"):
        parse("x+" * 5001 + "x")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 150 + "x" + ")" * 150)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 5000 + "x")
    # a long flat sum is not deep
    assert parse("+".join(["x"] * 3000)) == 3000 * x


def test_product_chain_is_held_to_the_exponent_limit():
    with pytest.raises(ExpressionError, match="exponent is larger than 1000"):
        parse("*".join(["x"] * 1001))


def test_sum_and_mean_over_data():
    total = parse("sum((y - w*x)**2)", data={"rows": 4})
    assert isinstance(total, DataSum)
    mean = parse("mean(x)", data={"rows": 4})
    assert mean == DataSum(x) / 4
    w = symbol("w")
    assert total.diff(w) == DataSum(-2 * x * (-w * x + y))
    with pytest.raises(ExpressionError, match="cannot be nested"):
        parse("sum(sum(x))", data={"rows": 2})


def test_graph_names_substitute_earlier_nodes():
    a = parse("x*y")
    assert parse("a + 1", names={"a": a}) == x * y + 1


def test_parse_number_refuses_symbols_and_infinities():
    assert parse_number("pi/4") == sympy.pi / 4
    with pytest.raises(ExpressionError, match="is not a number"):
        parse_number("x + 1")
    with pytest.raises(ExpressionError, match="not a finite number"):
        parse_number("1/0")


def test_operations_and_depth_count_a_shared_piece_each_time_it_is_written():
    from verify.input.expressions import depth, operations
    piece = x + y
    expr = x
    for _ in range(40):  # doubles per level: 2**40 operations written out
        expr = sympy.sin(expr) * sympy.cos(expr)
    assert operations(piece) == 1 and depth(piece) == 1
    assert operations(sympy.sin(piece) + sympy.cos(piece)) == 1 + 2 * (1 + 1)
    assert operations(expr, limit=10_000) > 10_000  # stops early, not after 2**40 steps
    assert depth(expr) == 80


@pytest.mark.parametrize("text, looks", [("ехр(x)", "exp"), ("sin(х)", "x"), ("ѕin(x)", "sin")])
def test_names_with_non_ascii_look_alikes_say_what_they_look_like(text, looks):
    from verify.input.expressions import ExpressionError, parse
    with pytest.raises(ExpressionError, match=f"contains non-ASCII letters that look like '{looks}'"):
        parse(text)


def test_a_fullwidth_name_is_the_ascii_name():
    from verify.input.expressions import parse, symbol
    assert parse("sin(ｘ)") == sympy.sin(symbol("x"))


def test_a_literal_with_too_many_digits_is_refused():
    from verify.input.expressions import ExpressionError, parse
    with pytest.raises(ExpressionError, match="more than 1000 digits"):
        parse("x + 0." + "1" * 1500)


def test_sizes_kept_across_expressions_count_the_same_as_a_fresh_count():
    """operations() keeps subtree sizes across calls (a layer's derivatives share
    subtrees): a later expression sharing them, and a limit below a size
    already known, give what a fresh count gives."""
    from verify.input import expressions
    shared = parse("sin(x*y + exp(x))**2 + tanh(y)")
    larger = parse("sin(x*y + exp(x))**2 + tanh(y) + cos(sin(x*y + exp(x)))")
    first, second = operations(shared), operations(larger)
    limited = operations(larger, limit=3)
    expressions._SIZES.clear()
    assert operations(larger) == second
    assert operations(shared) == first
    expressions._SIZES.clear()
    assert limited == operations(larger, limit=3) and limited > 3
