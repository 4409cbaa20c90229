"""Every validation message of the loader, one case each, located by file and line."""
import textwrap

import pytest

from verify.runner import load

GOOD = "function: x**2\n    at: {x: 1}"


def errors_of(tmp_path, text, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text)) if isinstance(text, str) else path.write_bytes(text)
    loaded = load([path])
    return [row.message for row in loaded.errors], loaded


def test_the_issue_example_message_format(tmp_path):
    text = "\n" * 10 + textwrap.dedent("""\
        cases:
          - name: sin_sq
            function: sin(x)**2
            at: {y: 1}
        """)
    messages, _ = errors_of(tmp_path, text, "trig.yaml")
    assert messages == [f"{tmp_path}/trig.yaml:14: case 'sin_sq': key 'at': "
                        "variable 'y' is not in the function"]


CASE_ERRORS = [
    ("missing name", "cases:\n  - function: x\n    at: {x: 1}\n", "a case needs a 'name'"),
    ("bad name", "cases:\n  - name: 'a b'\n    function: x\n    at: {x: 1}\n", "name must match"),
    ("unknown key with suggestion", f"cases:\n  - name: c\n    {GOOD}\n    expcet: {{value: 1}}\n",
     "key 'expcet': unknown key (did you mean 'expect'?)"),
    ("function and graph", "cases:\n  - name: c\n    function: x\n    graph: {a: x}\n    at: {x: 1}\n",
     "exactly one of 'function' and 'graph'"),
    ("neither function nor graph", "cases:\n  - name: c\n    at: {x: 1}\n",
     "exactly one of 'function' and 'graph'"),
    ("bad expression", "cases:\n  - name: c\n    function: x.real\n    at: {x: 1}\n",
     "key 'function': attribute access is not allowed: 'x.real'"),
    ("graph later node", "cases:\n  - name: c\n    graph: {a: b + x, b: x}\n    at: {x: 1}\n",
     "node 'a' refers to 'b', which is defined later"),
    ("graph self reference", "cases:\n  - name: c\n    graph: {a: a + x}\n    at: {x: 1}\n",
     "node 'a' refers to itself"),
    ("graph reuses parameter", "cases:\n  - name: c\n    graph: {k: x}\n    parameters: {k: 1}\n    at: {x: 1}\n",
     "node 'k' reuses the name of a parameter"),
    ("graph empty", "cases:\n  - name: c\n    graph: {}\n    at: {x: 1}\n", "graph has no nodes"),
    ("no point", "cases:\n  - name: c\n    function: x\n", "a case needs 'at' (one point) or 'points'"),
    ("at and points", "cases:\n  - name: c\n    function: x\n    at: {x: 1}\n    points: [{x: 2}]\n",
     "give either 'at' or 'points'"),
    ("empty points", "cases:\n  - name: c\n    function: x\n    points: []\n", "non-empty list of points"),
    ("missing coordinate", "cases:\n  - name: c\n    function: x*y\n    at: {x: 1}\n",
     "key 'at': no value for variable 'y'"),
    ("not a number", "cases:\n  - name: c\n    function: x\n    at: {x: abc}\n",
     "key 'at': 'abc' is not a number"),
    ("boolean", "cases:\n  - name: c\n    function: x\n    at: {x: yes}\n", "expected a number, got 'yes'"),
    ("parameter also column", "cases:\n  - name: c\n    function: sum(x*w)\n    parameters: {x: 1}\n"
     "    data: {x: [1, 2]}\n    at: {w: 1}\n", "'x' is both a parameter and a data column"),
    ("reserved symbol name", "cases:\n  - name: c\n    function: x\n    parameters: {sin: 1}\n    at: {x: 1}\n",
     "'sin' cannot be a symbol name"),
    ("column outside sum", "cases:\n  - name: c\n    function: w*x\n    data: {x: [1, 2]}\n    at: {w: 1}\n",
     "data column 'x' is used outside sum(...) or mean(...)"),
    ("variables not a list", "cases:\n  - name: c\n    function: x\n    variables: x\n    at: {x: 1}\n",
     "expected a list of names"),
    ("variable twice", "cases:\n  - name: c\n    function: x\n    variables: [x, x]\n    at: {x: 1}\n",
     "variable 'x' is listed twice"),
    ("variable is parameter", "cases:\n  - name: c\n    function: x*k\n    parameters: {k: 2}\n"
     "    variables: [x, k]\n    at: {x: 1}\n", "'k' is a parameter or a data column, not a variable"),
    ("negative radius", f"cases:\n  - name: c\n    {GOOD}\n    expect: {{radius: -1}}\n",
     "key 'expect': radius must be positive or .inf, got -1"),
    ("point key that is a typo", "cases:\n  - name: c\n    function: x*y\n    at: {x: 1, yy: 1}\n",
     "variable 'yy' is not in the function"),
    ("variable named like a graph node", "cases:\n  - name: c\n    graph: {a: x**2, b: 2*a}\n"
     "    variables: [x, a]\n    at: {x: 1, a: 1}\n", "'a' is a graph node, not a variable"),
    ("stray symbol", "cases:\n  - name: c\n    function: x*z\n    variables: [x]\n    at: {x: 1}\n",
     "symbol 'z' is neither a variable, a parameter nor a data column"),
    ("unknown check", f"cases:\n  - name: c\n    {GOOD}\n    checks: [derivatve]\n",
     "unknown check 'derivatve' (did you mean 'derivative'?)"),
    ("check twice", f"cases:\n  - name: c\n    {GOOD}\n    checks: [derivative, derivative]\n",
     "check 'derivative' is listed twice"),
    ("unknown option", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{derivative: {{oder: 2}}}}\n",
     "check 'derivative' has no option 'oder' (did you mean 'order'?)"),
    ("order not integer", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{derivative: {{order: 1.5}}}}\n",
     "`derivative.order` must be an integer."),
    ("order too large", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{derivative: {{order: 50}}}}\n",
     "`derivative.order` must be between 1 and 10, got 50."),
    ("taylor order limit", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{taylor: {{order: 101}}}}\n",
     "`taylor.order` must be between 0 and 100"),
    ("steps limit", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{descent: {{start: {{x: 1}}, lr: 0.1, steps: 2000000}}}}\n",
     "`descent.steps` must be between 1 and 1000000"),
    ("num limit", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{error_curve: {{num: 20000}}}}\n",
     "`error_curve.num` must be between 2 and 10000"),
    ("dps limit", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{error_curve: {{dps: 5000}}}}\n",
     "`error_curve.dps` must be between 15 and 1000"),
    ("unknown method", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{derivative: {{methods: [centrl]}}}}\n",
     "unknown method 'centrl' (did you mean 'central'?)"),
    ("h not positive", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{derivative: {{h: -1e-3}}}}\n",
     "`derivative.h` must be positive."),
    ("descent needs start", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{descent: {{lr: 0.1, steps: 10}}}}\n",
     "check 'descent' needs the option 'start'"),
    ("bad outcome", f"cases:\n  - name: c\n    {GOOD}\n    checks: {{descent: {{start: {{x: 1}}, lr: 0.1, steps: 5, outcome: exploded}}}}\n",
     "`descent.outcome` must be one of converged, diverged, unconverged, got 'exploded'"),
    ("unknown expectation", f"cases:\n  - name: c\n    {GOOD}\n    expect: {{derivate: 2}}\n",
     "unknown expectation 'derivate' (did you mean 'derivative'?)"),
    ("adjoint without graph", f"cases:\n  - name: c\n    {GOOD}\n    expect: {{adjoint: {{a: 1}}}}\n",
     "'adjoint' needs a 'graph'"),
    ("expect count", "cases:\n  - name: c\n    function: x\n    points: [{x: 1}, {x: 2}, {x: 3}]\n"
     "    expect: {value: [1, 2]}\n", "'value' lists 2 entries for 3 points"),
    ("gradient unknown variable", f"cases:\n  - name: c\n    {GOOD}\n    expect: {{gradient: {{y: 1}}}}\n",
     "variable 'y' is not in the case"),
    ("hessian shape", "cases:\n  - name: c\n    function: x*y\n    at: {x: 1, y: 1}\n"
     "    expect: {hessian: [[0, 1]]}\n", "hessian must be a 2x2 nested list"),
    ("minimum incomplete", "cases:\n  - name: c\n    function: x*y\n    at: {x: 1, y: 1}\n"
     "    expect: {minimum: {x: 0}}\n", "no value for variable 'y'"),
    ("taylor not a list", f"cases:\n  - name: c\n    {GOOD}\n    expect: {{taylor: 1}}\n",
     "expected a non-empty list of numbers"),
    ("unknown tolerance", f"cases:\n  - name: c\n    {GOOD}\n    tolerance: {{rtl: 1}}\n",
     "unknown tolerance 'rtl' (did you mean 'rtol'?)"),
    ("negative tolerance", f"cases:\n  - name: c\n    {GOOD}\n    tolerance: {{atol: -1}}\n",
     "`atol` must be non-negative."),
    ("implementation key", f"cases:\n  - name: c\n    {GOOD}\n    implementation: {{valu: 'm:f'}}\n",
     "unknown implementation key 'valu' (did you mean 'value'?)"),
    ("implementation target", f"cases:\n  - name: c\n    {GOOD}\n    implementation: {{value: 'os.system'}}\n",
     "expected 'module:callable', got 'os.system'"),
    ("dtype", f"cases:\n  - name: c\n    {GOOD}\n    dtype: float16\n", "dtype must be one of float64, float32"),
    ("ragged inline data", "cases:\n  - name: c\n    function: sum(x*w)\n    data: {x: [1, 2], y: [1]}\n"
     "    at: {w: 1}\n", "columns must have one length (x: 2, y: 1)"),
    ("data not numbers", "cases:\n  - name: c\n    function: sum(x*w)\n    data: {x: [1, a]}\n    at: {w: 1}\n",
     "column 'x': 'a' is not a number"),
    ("data column not list", "cases:\n  - name: c\n    function: sum(x*w)\n    data: {x: 1}\n    at: {w: 1}\n",
     "column 'x' must be a list of numbers"),
    ("missing csv", "cases:\n  - name: c\n    function: sum(x*w)\n    data: {csv: nope.csv}\n    at: {w: 1}\n",
     "cannot read csv 'nope.csv'"),
    ("csv outside", "cases:\n  - name: c\n    function: sum(x*w)\n    data: {csv: ../../etc/passwd}\n    at: {w: 1}\n",
     "leaves the case file's folder"),
]


@pytest.mark.parametrize("label, text, message", CASE_ERRORS, ids=[c[0] for c in CASE_ERRORS])
def test_each_validation_error_names_file_line_case_and_key(tmp_path, label, text, message):
    messages, loaded = errors_of(tmp_path, text)
    assert len(messages) == 1, messages
    assert message in messages[0]
    assert messages[0].startswith(f"{tmp_path}/bad.yaml:")
    if "name" in text.split("\n")[1]:
        assert "case 'c'" in messages[0] or "name must match" in messages[0]
    row = loaded.errors[0]
    assert row.status == "error" and row.check == "load" and row.line > 0


FILE_ERRORS = [
    ("empty", "", "file is empty"),
    ("top-level list", "- name: a\n", "the top level is a list"),
    ("neither cases nor name", "function: x\n", "expected 'cases:' (a list of cases) or a single case"),
    ("unknown top key", "cases: []\ndefualts: {}\n", "unknown top-level key 'defualts' (did you mean 'defaults'?)"),
    ("cases not list", "cases: {a: 1}\n", "'cases' must be a list"),
    ("defaults sets name", "defaults: {name: x}\ncases: []\n", "'defaults' cannot set 'name'"),
    ("malformed", "cases: [\n", "malformed YAML"),
    ("python tag", "cases:\n  - name: !!python/object/apply:os.system ['touch /tmp/x']\n",
     "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("duplicate key", "cases:\n  - name: a\n    name: b\n", "duplicate key 'name' (first at line 2)"),
    ("merge key", "base: &b {function: x}\ncases:\n  - <<: *b\n    name: a\n", "merge keys"),
    ("non-string key", "cases:\n  - name: a\n    ? [1, 2]\n    : 3\n", "keys must be plain names"),
    ("alias bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "expands to more than"),
]


@pytest.mark.parametrize("label, text, message", FILE_ERRORS, ids=[c[0] for c in FILE_ERRORS])
def test_each_file_error_is_clear(tmp_path, label, text, message):
    messages, _ = errors_of(tmp_path, text)
    assert len(messages) == 1 and message in messages[0], messages


def test_binary_garbage_and_nul_bytes(tmp_path):
    messages, _ = errors_of(tmp_path, bytes(range(256)) * 4)
    assert "not a text file" in messages[0]
    messages, _ = errors_of(tmp_path, b"cases: []\x00\n")
    assert "NUL bytes" in messages[0]


def test_missing_path_is_an_error_row(tmp_path):
    loaded = load([tmp_path / "absent.yaml"])
    assert "no such file or folder" in loaded.errors[0].message


def test_duplicate_case_ids_keep_the_first(tmp_path):
    messages, loaded = errors_of(tmp_path, f"cases:\n  - name: a\n    {GOOD}\n  - name: a\n    {GOOD}\n")
    assert len(loaded.cases) == 1
    assert "duplicate case id 'bad::a' (first at line 2)" in messages[0]


def test_one_bad_case_does_not_stop_the_others(tmp_path):
    _, loaded = errors_of(tmp_path, f"cases:\n  - name: a\n    {GOOD}\n  - name: b\n    function: x\n"
                                    f"  - name: c\n    {GOOD}\n")
    assert [c.name for c in loaded.cases] == ["a", "c"]
    assert len(loaded.errors) == 1


def test_defaults_merge_recursively_and_function_drops_graph(tmp_path):
    # function drops the default graph, at drops the default points (CASES.md)
    text = """\
    defaults:
      graph: {a: x*y}
      points: [{x: 1, y: 2}]
      checks: {derivative: {order: 2, methods: [central]}}
    cases:
      - name: a
        function: x**3
        at: {x: 2}
        checks: {derivative: {methods: [forward]}}
    """
    _, loaded = errors_of(tmp_path, text, "ok.yaml")
    (case,) = loaded.cases
    assert case.graph == () and case.variables == ("x",)
    check = case.checks[0]
    assert check.option("order") == 2 and check.option("methods") == ("forward",)
    assert case.points[0][0].exact == 2 and len(case.points) == 1


def test_defaults_merge_mappings_key_by_key(tmp_path):
    text = """\
    defaults:
      at: {x: 1, y: 2}
      expect: {value: 3}
    cases:
      - name: a
        function: x + y
        at: {x: 2}
        expect: {gradient: {x: 1, y: 1}}
    """
    _, loaded = errors_of(tmp_path, text, "ok.yaml")
    (case,) = loaded.cases
    assert [v.exact for v in case.points[0]] == [2, 2]
    assert case.expect.value[0].exact == 3 and case.expect.gradient


def test_case_ids_use_the_path_relative_to_the_folder(tmp_path):
    sub = tmp_path / "lab" / "part1.yaml"
    sub.parent.mkdir()
    sub.write_text(f"cases:\n  - name: a\n    {GOOD}\n")
    (case,) = load([tmp_path]).cases
    assert case.id == "lab/part1::a"
    (case,) = load([sub]).cases
    assert case.id == "part1::a"


def test_single_case_file_and_defaults_for_checks(tmp_path):
    _, loaded = errors_of(tmp_path, "name: one\nfunction: x*y\nat: {x: 1, y: 2}\n", "single.yaml")
    (case,) = loaded.cases
    assert [c.name for c in case.checks] == ["gradient", "backprop"]
    assert case.variables == ("x", "y")


def test_data_from_csv(tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n1,2\n2,4.5\n")
    _, loaded = errors_of(tmp_path, "name: m\nfunction: mean((y - w*x)**2)\ndata: {csv: d.csv}\nat: {w: 1}\n",
                          "m.yaml")
    (case,) = loaded.cases
    assert [c.name for c in case.data] == ["x", "y"]
    assert case.data[1].texts == ("2", "4.5")


def test_ragged_csv(tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n1,2\n3\n")
    messages, _ = errors_of(tmp_path, "name: m\nfunction: sum(x*y*w)\ndata: {csv: d.csv}\nat: {w: 1}\n")
    assert "row 3 has 1 cells, the header has 2" in messages[0]


def test_declared_variables_that_do_not_appear_are_kept(tmp_path):
    # issue 10 item 8: x in 2*x**0 and x2 in x3*sin(x1) have partial derivative 0
    messages, loaded = errors_of(tmp_path, """\
        cases:
          - name: constant
            function: 2*x**0
            at: {x: 1}
          - name: jacobian_row
            function: x3*sin(x1)
            variables: [x1, x2, x3]
            at: {x1: 1, x2: 2, x3: 3}
        """)
    assert messages == []
    constant, row = loaded.cases
    assert constant.variables == ("x",) and row.variables == ("x1", "x2", "x3")


def test_an_absent_variable_is_judged_with_partial_derivative_zero():
    import verify
    table = verify.check("x3*sin(x1)", variables=["x1", "x2", "x3"],
                         at={"x1": 1, "x2": 2, "x3": 3}, checks=["gradient", "backprop"],
                         expect={"gradient": {"x2": 0}})
    absent = table[table.quantity.str.contains("x2")]
    assert len(absent) >= 8 and set(absent.status) == {"pass"}
    assert (absent.exact == 0).all()
    constant = verify.check("2*x**0", at={"x": 1}, checks=["derivative", "backprop"])
    assert set(constant.status) == {"pass"} and (constant.exact == 0).all()


# --- issue 11: limits from the first byte -------------------------------------------

def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import os

    from verify.input import loading
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as stream:
        stream.truncate(loading.MAX_FILE_BYTES + 1)  # sparse
    monkeypatch.setattr(os, "read", lambda *a: pytest.fail("the file was read"))
    with pytest.raises(loading.CaseError, match="the file is larger than 50000000 bytes"):
        loading.read_nodes(path, "huge.yaml")


def test_the_node_limit_stops_composing_not_after_it(tmp_path, monkeypatch):
    from verify.input import loading
    monkeypatch.setattr(loading, "MAX_NODES", 1000)
    monkeypatch.setattr(loading, "check_tags", lambda root: pytest.fail("composed the whole file"))
    path = tmp_path / "many.yaml"
    path.write_text("name: a\nlist: [" + "0, " * 5000 + "0]\n")
    with pytest.raises(loading.CaseError, match="expands to more than 1000 YAML nodes"):
        loading.read_nodes(path, "many.yaml")


def test_a_message_quotes_only_an_excerpt_of_a_file_that_is_not_yaml(tmp_path):
    secret = "\n".join(f"user{k}:x:{k}:{k}:secret line {k}" for k in range(50))
    messages, _ = errors_of(tmp_path, secret, "passwd.yaml")
    (message,) = messages
    quoted = message.split(": got ", 1)[-1] if ": got " in message else message.split("got ", 1)[-1]
    assert quoted.startswith("'user0:x:0:0") and "secret line 3" not in message
    assert len(quoted) <= 60 + 5  # EXCERPT characters, quotes and '...'



@pytest.mark.parametrize("text, value", [("010", 10), ("0o17", 15), ("0x1F", 31), ("1_000", 1000)])
def test_integers_are_read_by_yaml_1_2_rules(tmp_path, text, value):
    _, loaded = errors_of(tmp_path, f"""
        name: a
        function: x
        at: {{x: 1}}
        checks: {{descent: {{start: {{x: 1}}, lr: 0.001, steps: {text}}}}}
    """)
    (case,) = loaded.cases
    assert case.checks[0].option("steps") == value


def test_tiny_steps_and_float32_at_huge_points_load(tmp_path):
    messages, loaded = errors_of(tmp_path, """
        cases:
          - name: subnormal_step
            function: sin(x)
            at: {x: 1}
            checks: {derivative: {h: 1e-320}}
          - name: float32_far_out
            function: x
            dtype: float32
            at: {x: 1e300}
    """)
    assert messages == [] and len(loaded.cases) == 2


def test_point_keys_are_normalised_like_the_function_text(tmp_path):
    _, loaded = errors_of(tmp_path, "name: a\nfunction: sin(ｘ) + ｙ\nat: {ｘ: 1, y: 2}\n")
    (case,) = loaded.cases
    assert case.variables == ("x", "y")
    assert [v.text for v in case.points[0]] == ["1", "2"]


def test_deep_flow_nesting_stops_in_the_scanner_at_the_depth_limit(tmp_path):
    from verify.input import loading
    # PyYAML's scanner is quadratic in '[' depth (3 s for 20,000 of them): stop at the limit
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\nfunction: x\nat: {x: 1}\ndescription: " + "[" * 20_000 + "\n")
    with pytest.raises(loading.CaseError, match=r"nested too deeply \(more than 300 levels\)"):
        loading.read_nodes(path, "deep.yaml")
    legal = tmp_path / "legal.yaml"
    legal.write_text("name: ok\nfunction: x\nat: {x: 1}\ndescription: "
                     + "[" * 250 + "]" * 250 + "\n")
    assert len(loading.read_nodes(legal, "legal.yaml")) == 1


def test_alias_fan_out_is_measured_without_walking_it(tmp_path, monkeypatch):
    from verify.input import loading
    levels = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    levels += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 12)]
    path = tmp_path / "bomb.yaml"  # 10**12 nodes written out
    path.write_text("name: bomb\nfunction: x\nat: {x: 1}\ndescription:\n  "
                    + "\n  ".join(levels) + "\n")
    visited = []
    real = loading._children
    monkeypatch.setattr(loading, "_children", lambda n, k: visited.append(n) or real(n, k))
    with pytest.raises(loading.CaseError, match="expands to more than 2000000 YAML nodes"):
        loading.read_nodes(path, "bomb.yaml")
    assert len(visited) < 1000  # distinct nodes only
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text("name: a\nfunction: x\nat: {x: 1}\ndescription: &r [1, *r]\n")
    with pytest.raises(loading.CaseError, match="expands to more than 2000000 YAML nodes"):
        loading.read_nodes(recursive, "recursive.yaml")
