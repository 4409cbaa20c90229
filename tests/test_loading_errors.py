"""Loader errors for inputs that used to crash or stall the loader (found by
the hostile corpus and the fuzzers), each now a located CaseError row."""
from __future__ import annotations

import sys
import textwrap

import pytest
import sympy

from tests.conftest import load_one
from verify.input.expressions import (MAX_COMPOSED_DEPTH, MAX_OPERATIONS, ExpressionError,
                                ExpressionTooLarge, depth, operations, parse)
from verify.input.values import parse_value


@pytest.mark.parametrize("text, message", [
    # SymPy refusing to build: used to escape as a bare ValueError and end the run
    ("""
     name: c
     function: Max(x, asin(2))
     at: {x: 1}
     """, "key 'function': cannot build 'Max(x, asin(2))': The argument 'asin(2)' is not "
         "comparable."),
    # a constant with no real value, even where the whole comes back real
    ("""
     name: c
     function: (acos(3)/(x - pi))**2
     at: {x: 1}
     """, "key 'function': acos(3) is not a real number: '(acos(3)/(x - pi))**2'"),
    # infinite everywhere: used to reach lambdify and fail there ('ComplexInfinity')
    ("""
     name: c
     function: exp(x)/(sin(x) - sin(x))
     at: {x: 1}
     """, "'exp(x)/(sin(x) - sin(x))' is not a finite number anywhere"),
    # numbers too large to evaluate: used to raise OverflowError out of the loader
    ("""
     name: c
     function: x
     at: {x: "exp(exp(exp(exp(10))))"}
     """, "key 'at': 'exp(exp(exp(exp(10))))' is too large to evaluate"),
    # a billion-digit literal: used to build the integer first (minutes, gigabytes)
    ("""
     name: c
     function: x
     expect: {value: 1e-999999999}
     at: {x: 1}
     """, "'1e-999999999' is out of range (exponent beyond 10000)"),
    ("""
     name: c
     function: mean(w*x)
     data: {x: [1, 2e308]}
     at: {w: 1}
     """, "column 'x': '2e308' is beyond the float64 range"),
])
def test_input_that_used_to_crash_the_loader_is_a_located_error(tmp_path, text, message):
    cases, errors = load_one(tmp_path, textwrap.dedent(text))
    assert cases == ()
    assert len(errors) == 1 and message in errors[0].message, errors
    assert errors[0].message.startswith(str(tmp_path / "one.yaml"))


def test_a_csv_number_beyond_float64_is_refused(tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n1,2\n1e400,3\n")
    _, errors = load_one(tmp_path, """
        name: c
        function: mean((y - w*x)**2)
        data: {csv: d.csv}
        at: {w: 1}
    """)
    assert "csv 'd.csv' row 3: '1e400' is beyond the float64 range" in errors[0].message


def test_a_huge_literal_is_refused_before_it_is_built():
    # building 10**999999999 first would take minutes and gigabytes
    for text in ("1e999999999", "-2.5E+1000000", "1e-10001"):
        with pytest.raises(ExpressionError, match="out of range"):
            parse_value(text)
    assert parse_value("1e-300").float64 == 1e-300


def _chain(levels, body="sin({prev})"):
    lines = ["name: chain", "graph:", "  a0: x"]
    lines += [f"  a{i}: " + body.format(prev=f"a{i - 1}") for i in range(1, levels + 1)]
    return "\n".join(lines + ["at: {x: 0.5}", "checks: {derivative: {methods: [central]}}"])


def test_a_graph_that_doubles_per_node_stops_at_the_size_limit(tmp_path):
    _, errors = load_one(tmp_path, _chain(60, "sin({prev})*x + cos({prev})"))
    assert f"has more than {MAX_OPERATIONS} operations (the limit on expression size)" \
        in errors[0].message
    assert "case 'chain': key 'graph'" in errors[0].message


def test_a_long_chain_stops_at_the_depth_limit_not_in_a_recursion_error(tmp_path):
    _, errors = load_one(tmp_path, _chain(MAX_COMPOSED_DEPTH + 50))
    assert f"'sin(a{MAX_COMPOSED_DEPTH})' is nested more than {MAX_COMPOSED_DEPTH} levels deep" \
        in errors[0].message


def test_a_chain_within_the_limits_loads(tmp_path):
    cases, errors = load_one(tmp_path, _chain(200))
    assert errors == () and depth(cases[0].expression) == 200


def test_a_deep_legal_expression_can_be_printed_and_differentiated():
    text = "sin(" * 95 + "x" + ")" * 95
    expr = parse(text)
    assert sys.getrecursionlimit() >= 10_000  # parse raised it: SymPy recurses per level
    assert len(str(sympy.diff(expr, sympy.Symbol("x", real=True)))) > len(text)


def test_too_large_is_an_expression_error_with_its_own_type():
    assert issubclass(ExpressionTooLarge, ExpressionError)
    x = sympy.Symbol("x", real=True)
    assert operations(sympy.sin(x) * x + 1) == 3
    assert depth(sympy.sin(sympy.cos(x))) == 2 and depth(x) == 0
