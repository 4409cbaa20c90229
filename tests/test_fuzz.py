"""Property-based tests (Hypothesis): hostile text never crashes the loader,
and random expressions from the allow-list get consistent answers.

- Random text, random bytes, random YAML structures and randomly damaged
  good files only ever give :class:`~verify.input.loading.CaseError` rows.
- Random expression trees over the allowed functions, at random points: the
  exact engine, the finite differences (central, central4, complex step)
  and backprop (when :mod:`verify.checks.backprop` is there) never
  disagree beyond their error bounds: no ``fail`` row, no internal error,
  and where the point is outside the domain or at a kink, no ``pass``.

By default a few hundred examples run; a nightly-style run sets
``VERIFY_FUZZ_EXAMPLES``, e.g. ``VERIFY_FUZZ_EXAMPLES=10000 python -m pytest
tests/test_fuzz.py``. ``bench/fuzz.py`` runs 10,000 expressions with the
same generator and prints the counts.
"""
from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from verify.checks import runner_for
from verify.core.run_options import RunOptions
from verify.input.loading import CaseError, Source, read_nodes
from verify.runner import load
from verify.checks.case import run_case

EXAMPLES = int(os.environ.get("VERIFY_FUZZ_EXAMPLES", "0"))


def fuzz_settings(default):
    """``default`` examples, or VERIFY_FUZZ_EXAMPLES when set (nightly)."""
    return settings(max_examples=EXAMPLES or default, deadline=None, derandomize=not EXAMPLES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# --- random expressions from the allow-list ---------------------------------------

UNARY = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log",
         "sqrt", "abs", "erf", "relu", "sigmoid", "softplus")
BINARY = ("+", "-", "*", "/", "**")
CONSTANTS = ("1", "2", "3", "0.5", "1.5", "pi", "E")
EXPONENTS = ("2", "3", "-1", "-2", "0.5", "1.5")
COORDINATES = tuple(f"{k / 10:g}" for k in range(-25, 26)) + ("0.05", "-0.35", "1.05")


def random_expression(choose, variables=("x",), depth=3) -> str:
    """An expression over the allowed syntax; ``choose(options)`` picks one.

    Every variable appears, so the derivative checks have something to do.
    """
    text = _node(choose, variables, depth)
    for name in variables:
        if name not in text.replace("exp", "").replace("softplus", "").replace("sqrt", ""):
            text = f"{text} + {name}"
    return text


def _node(choose, variables, depth):
    kind = choose(("leaf", "unary", "unary", "binary", "binary", "extreme")) if depth else "leaf"
    if kind == "leaf":
        return choose(variables + variables + CONSTANTS)
    if kind == "unary":
        return f"{choose(UNARY)}({_node(choose, variables, depth - 1)})"
    if kind == "extreme":
        return (f"{choose(('Max', 'Min'))}({_node(choose, variables, depth - 1)}, "
                f"{_node(choose, variables, depth - 1)})")
    op = choose(BINARY)
    left = _node(choose, variables, depth - 1)
    if op == "**":
        right = choose(EXPONENTS + (_node(choose, variables, depth - 1),))
    else:
        right = _node(choose, variables, depth - 1)
    return f"({left}) {op} ({right})"


def case_text(function, point, *, with_backprop=True) -> str:
    variables = list(point)
    check = "derivative" if len(variables) == 1 else "gradient"
    checks = {check: {"methods": ["central", "central4", "complex_step"]}}
    if with_backprop:
        checks["backprop"] = None
    return yaml.safe_dump({"name": "fuzz", "function": function, "variables": variables,
                           "at": dict(point), "checks": checks}, sort_keys=False)


def outcome(function, point) -> Counter:
    """What the checks said about ``function`` at ``point`` ({variable: text}).

    Keys: ``pass``, ``skip``, ``error`` (a named reason), ``fail`` (a
    disagreement beyond the bounds), ``crash`` (an internal error),
    ``refused`` (the loader refused the case), ``passed_at_a_problem`` (a
    pass where the point is outside the domain or at a kink); the
    messages of the bad ones under ``"why"``.
    """
    from verify.exact.symbolic import exact_function
    from verify.bounds.kinks import point_problem
    from verify.input.cases import build_case
    counts = Counter()
    counts["why"] = []
    node = yaml.compose(case_text(function, point,
                                  with_backprop=runner_for("backprop") is not None))
    try:
        case = build_case(node, Source("fuzz.yaml", "fuzz", Path(".")))
    except CaseError as exc:
        counts["refused"] += 1
        counts["why"].append(str(exc))
        return counts
    try:
        problem = point_problem(exact_function(case), case.points[0])
    except Exception as exc:  # noqa: BLE001 - the point of a fuzzer
        counts["crash"] += 1
        counts["why"].append(f"point_problem: {type(exc).__name__}: {exc}")
        return counts
    for row in run_case(case, RunOptions(timeout=0)).results:
        if row.message.startswith("internal error"):
            counts["crash"] += 1
        elif problem and row.status == "pass":
            counts["passed_at_a_problem"] += 1
        else:
            counts[row.status] += 1
            if row.status != "fail":
                continue
        counts["why"].append(f"{row.check} {row.method} {row.quantity}: {row.message}")
    return counts


@st.composite
def expressions_at_points(draw):
    variables = draw(st.sampled_from((("x",), ("x",), ("x", "y"))))
    function = random_expression(lambda options: draw(st.sampled_from(options)), variables)
    point = {v: draw(st.sampled_from(COORDINATES)) for v in variables}
    return function, point


@fuzz_settings(150)
@given(expressions_at_points())
def test_exact_finite_differences_and_backprop_agree_within_their_bounds(sample):
    function, point = sample
    counts = outcome(function, point)
    bad = counts["fail"] + counts["crash"] + counts["passed_at_a_problem"]
    assert bad == 0, (function, point, counts["why"])


def test_the_generator_covers_the_allow_list():
    rng = random.Random(7)
    texts = [random_expression(rng.choice, ("x", "y")) for _ in range(500)]
    joined = " ".join(texts)
    for name in UNARY + ("Max", "Min", "**", "/"):
        assert name in joined


def test_a_point_outside_the_domain_is_never_a_pass():
    counts = outcome("log(x) + sqrt(x)", {"x": "-1"})
    assert counts["pass"] == 0 and counts["error"] > 0 and counts["crash"] == 0


# --- the loader never crashes ---------------------------------------------------------

def _load_text(tmp_path, data: bytes):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    # in this process (no time limit): the same reading and building a worker does,
    # without a fork per example; an exception would show as an internal-error row
    loaded = load([path], RunOptions(timeout=0))
    for row in loaded.errors:
        assert row.status == "error" and row.message, row
        assert "internal error" not in row.message
    return loaded


@fuzz_settings(300)
@given(st.text(max_size=400))
def test_random_text_never_crashes_the_loader(tmp_path, text):
    _load_text(tmp_path, text.encode("utf-8", "surrogatepass"))


@fuzz_settings(100)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(tmp_path, data):
    _load_text(tmp_path, data)


KEYS = ("name", "function", "graph", "variables", "parameters", "at", "points", "checks",
        "expect", "tolerance", "data", "description", "implementation", "dtype", "cases",
        "defaults", "csv", "order", "methods", "h", "rtol", "atol", "value", "gradient",
        "x", "y", "a", "b", "derivative", "backprop", "taylor", "descent", "error_curve")
SCALARS = st.one_of(
    st.sampled_from(("x", "y", "sin(x)", "x**2 + y", "a + 1", "fuzz", "1/0", "log(-1)",
                     "0.1", "1e-9", "pi/4", "-3", "", "central", "nan", ".inf", "~",
                     "derivative", "backprop", "x*y", "Max(x, 1)", "__import__('os')")),
    st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.text(max_size=20))
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25)


@fuzz_settings(250)
@given(st.dictionaries(st.sampled_from(KEYS), YAML_VALUES, max_size=8))
def test_random_yaml_structures_never_crash_the_loader(tmp_path, document):
    _load_text(tmp_path, yaml.safe_dump(document).encode())


GOOD = """\
defaults:
  checks: {derivative: {methods: [central]}}
cases:
  - name: one
    function: sin(x**2)
    at: {x: 1.5}
    expect: {value: 0.7781, derivative: "3*cos(9/4)"}
  - name: two
    graph: {a: x*y, b: a + 1, L: b**2}
    at: {x: 2, y: 3}
    checks: {gradient: {h: 1e-6}, taylor: {order: 3}}
    tolerance: {rtol: 1e-6}
  - name: three
    function: mean((y - w*x)**2)
    data: {x: [1, 2], y: [2, 4.5]}
    points: [{w: 1}, {w: "1/3"}]
"""


@fuzz_settings(250)
@given(st.lists(st.tuples(st.integers(0, len(GOOD)), st.integers(0, 8),
                          st.sampled_from(("", " ", "\n", ":", "-", "[", "]", "{", "}", "*",
                                           "&", "!", "'", '"', "#", "x", "0", "\t", "\x00"))),
                min_size=1, max_size=6))
def test_damaged_good_files_never_crash_the_loader(tmp_path, edits):
    text = GOOD
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    _load_text(tmp_path, text.encode())


def test_the_good_file_loads_cleanly(tmp_path):
    loaded = _load_text(tmp_path, GOOD.encode())
    assert [c.name for c in loaded.cases] == ["one", "two", "three"]


def test_read_nodes_refuses_rather_than_raising_on_odd_documents(tmp_path):
    odd = ("--- a\n--- b\n", "? [a, b]\n: 1\n", "name: [*x]\n", "&a [*a]\n", "%YAML 9.9\n---\n")
    for text in odd:
        path = tmp_path / "odd.yaml"
        path.write_text(text)
        try:
            read_nodes(path, "odd.yaml")
        except CaseError:
            pass
