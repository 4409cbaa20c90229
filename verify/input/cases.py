"""A case: the frozen, validated form of one case mapping of CASES.md.

:func:`build_case` turns a YAML node (defaults already merged) into a
:class:`Case` or raises :class:`~verify.input.loading.CaseError` naming the
file, the line, the case and the key. Nothing downstream sees YAML.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy
import yaml

from verify.input import schema
from verify.input.data import Column, read_data
from verify.input.expressions import RESERVED, DataSum, ExpressionError, fold, parse, symbol
from verify.input.expectations import Expect, read_expect
from verify.input.loading import CaseError, Source, items, kind_of, line_of, suggest
from verify.input.options import Check, normal_name, read_checks, read_point
from verify.input.shapes import (expand_adjoints, expand_case_values, order_entries, read_shapes,
                                 tensor_label)
from verify.input.tensors import Tensor, entry_name, indices, split_entry
from verify.input.values import MAX_MAGNITUDE, Value, parse_value

_CASE_NAME = re.compile(r"[A-Za-z0-9_.-]+\Z")
_IMPLEMENTATION = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*\Z")


@dataclass(frozen=True)
class GraphNode:
    """One node of a ``graph``: its name, its text and its expression in
    the variables, parameters, columns and earlier nodes' symbols."""

    name: str
    text: str
    expression: sympy.Expr
    line: int


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0

    def allows(self, exact: float) -> float:
        return self.atol + self.rtol * abs(exact)


@dataclass(frozen=True)
class Case:
    """One validated case. ``expression`` is the function (a graph composed
    into one expression) with parameters still symbolic."""

    source: Source
    name: str
    line: int
    expression: sympy.Expr
    variables: tuple[str, ...]
    points: tuple[tuple[Value, ...], ...]
    checks: tuple[Check, ...]
    description: str = ""
    function_text: str | None = None
    graph: tuple[GraphNode, ...] = ()
    parameters: tuple[tuple[str, Value], ...] = ()
    expect: Expect = field(default_factory=Expect)
    tolerance: Tolerance | None = None
    data: tuple[Column, ...] = ()
    implementation: tuple[tuple[str, str], ...] = ()
    dtype: str = "float64"
    key_lines: tuple[tuple[str, int], ...] = ()
    # a vector-valued function: ((output name, expression), ...); ``expression``
    # is then the column of outputs, which only the jacobian check differentiates
    outputs: tuple[tuple[str, sympy.Expr], ...] = ()
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()  # tensor variables, v1.1

    @property
    def id(self) -> str:
        return f"{self.source.group}::{self.name}"

    @property
    def file(self) -> str:
        return self.source.file

    def line_of(self, key: str) -> int:
        return dict(self.key_lines).get(key, self.line)

    def label(self, point: tuple[Value, ...]) -> str:
        if self.shapes:
            return tensor_label(self.variables, point, dict(self.shapes))
        return ", ".join(f"{v}={value.text}" for v, value in zip(self.variables, point))


def build_case(node, source: Source, *, allow_outside_data: bool = False,
               on_key=None) -> Case:
    """Validate one case mapping node; see CASES.md, "A case".

    ``on_key(key)`` is told each key as its reading starts, so a limit or
    an internal error that stops the build can name the key it was on.
    """
    triples = items(node, what="case (a mapping)")
    values = {key: value for key, _, value in triples}
    lines = {key: line_of(key_node) for key, key_node, _ in triples}
    name = _read_name(values, node)
    try:
        for key, key_node, _ in triples:
            if key not in schema.CASE_KEYS:
                raise CaseError(f"unknown key{suggest(key, schema.CASE_KEYS)}",
                                line=line_of(key_node), key=key)
        return _build(values, lines, name, node, source, allow_outside_data,
                      on_key or (lambda key: None))
    except CaseError as exc:
        raise exc.located(case=name) from None


def _read_name(values, node) -> str:
    if "name" not in values:
        raise CaseError("a case needs a 'name'", line=line_of(node), key="name")
    name_node = values["name"]
    if not isinstance(name_node, yaml.ScalarNode) or not _CASE_NAME.match(name_node.value):
        raise CaseError("name must match [A-Za-z0-9_.-]+", line=line_of(name_node), key="name")
    return name_node.value


def scalar(node, key, what="a value"):
    if not isinstance(node, yaml.ScalarNode):
        raise CaseError(f"expected {what}, got {kind_of(node)}", line=line_of(node), key=key)
    return node.value


def value_of(node, key) -> Value:
    text = scalar(node, key, "a number")
    if node.tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"):
        raise CaseError(f"expected a number, got {text!r}", line=line_of(node), key=key)
    try:
        return parse_value(text)
    except ExpressionError as exc:
        raise CaseError(str(exc), line=line_of(node), key=key) from None


def _build(values, lines, name, node, source, allow_outside_data, on_key):
    on_key("shapes")
    shapes = read_shapes(values.get("shapes"))
    values = expand_case_values(values, shapes)
    on_key("description")
    description = scalar(values["description"], "description", "text") if "description" in values else ""
    on_key("data")
    data = read_data(values["data"], source, allow_outside_data) if "data" in values else ()
    columns = {column.name for column in data}
    on_key("parameters")
    parameters = _read_parameters(values.get("parameters"), columns, shapes)
    on_key("graph" if "graph" in values else "function")
    expression, graph, function_text = _read_expression(values, node, data, parameters, shapes)
    outputs = ()
    if isinstance(expression, tuple):  # a list or mapping under 'function'
        outputs = expression
        expression = sympy.ImmutableMatrix([e for _, e in outputs])
    expression_line = line_of(values.get("function") or values.get("graph"))
    values = expand_adjoints(values, [n.name for n in graph])
    on_key("variables")
    if graph and "variables" not in values:
        _blame_graph_node(values, graph, expression, parameters, columns)
    variables = _read_variables(values.get("variables"), expression, parameters, columns, graph,
                               expression_line, _point_keys(values))
    variables = order_entries(variables, shapes) if shapes and "variables" not in values \
        else variables
    on_key("points" if "points" in values else "at")
    points = _read_points(values, node, variables)
    on_key("checks")
    checks = read_checks(values.get("checks"), variables, lambda n, k: value_of(n, k),
                         vector=bool(outputs))
    on_key("expect")
    expect = read_expect(values.get("expect"), variables, points, graph, value_of,
                         outputs=tuple(name for name, _ in outputs))
    on_key("tolerance")
    tolerance = _read_tolerance(values.get("tolerance"))
    on_key("implementation")
    implementation = _read_implementation(values.get("implementation"))
    dtype = "float64"
    on_key("dtype")
    if "dtype" in values:
        dtype = scalar(values["dtype"], "dtype", "a dtype name")
        if dtype not in schema.DTYPES:
            raise CaseError(f"dtype must be one of {', '.join(schema.DTYPES)}, got {dtype!r}",
                            line=line_of(values["dtype"]), key="dtype")
    return Case(source=source, name=name, line=line_of(node), expression=expression,
                variables=variables, points=points, checks=checks, description=description,
                function_text=function_text, graph=graph, parameters=parameters,
                expect=expect, tolerance=tolerance, data=data,
                implementation=implementation, dtype=dtype,
                key_lines=tuple(sorted(lines.items())), outputs=outputs,
                shapes=tuple(shapes.items()))


def _is_tensor_entry(name, shapes) -> bool:
    """``W[1,2]`` of a tensor in ``shapes`` (only the expansion of a nested list writes one)."""
    parts = split_entry(name)
    return bool(parts) and parts[0] in shapes


def _read_parameters(node, columns, shapes):
    if node is None:
        return ()
    parameters = []
    for key, key_node, value_node in items(node, what="mapping of parameter: value"):
        if not _is_tensor_entry(key, shapes):
            _check_symbol_name(key, key_node, "parameters")
        if key in columns:
            raise CaseError(f"'{key}' is both a parameter and a data column",
                            line=line_of(key_node), key="parameters")
        parameters.append((key, value_of(value_node, "parameters")))
    return tuple(parameters)


def _check_symbol_name(name, node, key):
    if not re.match(r"[A-Za-z][A-Za-z0-9_]*\Z", name) or name in RESERVED:
        raise CaseError(f"'{name}' cannot be a symbol name", line=line_of(node), key=key)


def _read_expression(values, node, data, parameters, shapes):
    rows = {"rows": len(data[0].texts)} if data else None
    if ("function" in values) == ("graph" in values):
        raise CaseError("a case needs exactly one of 'function' and 'graph'",
                        line=line_of(node), key="function")
    if "function" in values and not isinstance(values["function"], yaml.ScalarNode):
        outputs, text = _read_outputs(values["function"], rows)
        return outputs, (), text
    if "function" in values:
        text = scalar(values["function"], "function", "an expression")
        expression = _parse(text, values["function"], "function", data=rows, shapes=shapes)
        return expression, (), text
    graph_node = values["graph"]
    taken = {name for name, _ in parameters} | {column.name for column in data} | set(shapes)
    nodes, composed, local_names = [], {}, {}
    triples = items(graph_node, what="mapping of node: expression")
    names_in_order = [key for key, _, _ in triples]
    for key, key_node, value_node in triples:
        _check_symbol_name(key, key_node, "graph")
        if key in taken:
            raise CaseError(f"node '{key}' reuses the name of a parameter, a data column or a tensor",
                            line=line_of(key_node), key="graph")
        text = scalar(value_node, "graph", "an expression")
        local = _parse(text, value_node, "graph", data=rows, shapes=shapes,
                       names=local_names, allow_tensor=True)
        free = _free_symbols(local)
        later = [n for n in names_in_order[names_in_order.index(key):] if symbol(n) in free]
        if later:
            what = "itself" if later[0] == key else f"'{later[0]}', which is defined later"
            raise CaseError(f"node '{key}' refers to {what} (nodes must use earlier nodes only)",
                            line=line_of(value_node), key="graph")
        full = _parse(text, value_node, "graph", data=rows, names=composed, shapes=shapes,
                      allow_tensor=True)
        composed[key] = full
        nodes.extend(_graph_nodes(key, text, local, line_of(value_node)))
        local_names[key] = (Tensor.of_symbols(key, local.shape, symbol)
                            if isinstance(local, Tensor) else symbol(key))
    if not nodes:
        raise CaseError("graph has no nodes", line=line_of(graph_node), key="graph")
    output = composed[names_in_order[-1]]
    if isinstance(output, Tensor):
        raise CaseError(f"the last node '{names_in_order[-1]}' is the output and must be a "
                        f"scalar, not a tensor of shape {list(output.shape)} (reduce it with "
                        "sum_all, mean_all, dot or an entry)", line=nodes[-1].line, key="graph")
    return output, tuple(nodes), None


def _free_symbols(value) -> set:
    if isinstance(value, Tensor):
        return set().union(*(entry.free_symbols for entry in value.array.reshape(-1)))
    return value.free_symbols


def _graph_nodes(name, text, local, line) -> list[GraphNode]:
    """A scalar node, or one node per entry of a tensor-valued node (named
    ``z[0]``, ``z[1,2]``, as tensor variables' entries are), so that every
    engine sees a graph of scalars."""
    if not isinstance(local, Tensor):
        return [GraphNode(name, text, local, line)]
    return [GraphNode(entry_name(name, index), f"({text.strip()}){entry_name('', index)}",
                      local.array[index], line) for index in indices(local.shape)]


MAX_OUTPUTS = 256


def _read_outputs(node, rows):
    """A vector-valued function (CASES.md v1.1): a list of expressions (outputs
    f1, f2, ...) or a mapping name: expression. Returns ((name, expression),
    ...) and the text shown for the function."""
    if isinstance(node, yaml.SequenceNode):
        named = [(f"f{i}", item, item) for i, item in enumerate(node.value, 1)]
    elif isinstance(node, yaml.MappingNode):
        named = []
        for key, key_node, value_node in items(node, what="mapping of output: expression"):
            if not re.match(r"[A-Za-z][A-Za-z0-9_]*\Z", key):
                raise CaseError(f"output name '{key}' must match [A-Za-z][A-Za-z0-9_]*",
                                line=line_of(key_node), key="function")
            named.append((key, key_node, value_node))
    else:
        raise CaseError(f"expected an expression, a list of expressions or a mapping "
                        f"output: expression, got {kind_of(node)}", line=line_of(node),
                        key="function")
    if not named:
        raise CaseError("the list of outputs is empty", line=line_of(node), key="function")
    if len(named) > MAX_OUTPUTS:
        raise CaseError(f"{len(named)} outputs: the limit is {MAX_OUTPUTS}", line=line_of(node),
                        key="function")
    outputs, texts = [], []
    for name, _, value_node in named:
        text = scalar(value_node, "function", f"an expression for output '{name}'")
        outputs.append((name, _parse(text, value_node, "function", data=rows)))
        texts.append(f"{name} = {text.strip()}")
    return tuple(outputs), "; ".join(texts)


def _parse(text, node, key, *, data, names=None, shapes=None, allow_tensor=False):
    try:
        expression = parse(text, data=data, names=names, shapes=shapes, allow_tensor=allow_tensor)
    except ExpressionError as exc:
        raise CaseError(str(exc), line=line_of(node), key=key) from None
    entries = expression.array.reshape(-1) if isinstance(expression, Tensor) else (expression,)
    for entry in entries:
        _check_magnitude(entry, text, node, key)
    return expression


def _check_magnitude(expression, text, node, key) -> None:
    # 1e999 or 7**1000 is exact for SymPy but overflows every float64 evaluation;
    # fold visits each distinct piece once (a composed graph can double per node)
    largest = fold(expression, lambda piece, parts: max(
        parts, default=abs(piece) if piece.is_Number else sympy.Integer(0)))
    if largest > MAX_MAGNITUDE:
        raise CaseError(f"the constant {sympy.sstr(largest)[:20]}... in {text.strip()[:80]!r} "
                        "is beyond the float64 range (above 1e300)", line=line_of(node), key=key)


def _point_names(values) -> set:
    found = set()
    points = [values["at"]] if "at" in values else list(getattr(values.get("points"), "value", []))
    for point in points:
        if isinstance(point, yaml.MappingNode):
            found |= {normal_name(k.value) for k, _ in point.value if isinstance(k.value, str)}
    return found


def _blame_graph_node(values, graph, expression, parameters, columns):
    """A graph node naming a symbol the point does not give, while the point
    gives one the graph never uses, is a typo in the node (``L: aa + 1``)."""
    given = _point_names(values)
    known = {name for name, _ in parameters} | set(columns)
    free = {s.name for s in expression.free_symbols}
    unused = sorted(given - free - known)
    if not given or not unused:
        return
    for node in graph:
        stray = sorted({s.name for s in node.expression.free_symbols}
                       - given - known - {n.name for n in graph})
        if stray:
            raise CaseError(f"node '{node.name}' uses '{stray[0]}', which is not a variable of "
                            f"the point ({', '.join(unused)} is), a parameter, a data column "
                            "or an earlier node", line=node.line, key="graph")


def _point_keys(values) -> set:
    """The names the case's points give values to (for absent variables)."""
    nodes = [values["at"]] if "at" in values else []
    if "points" in values and isinstance(values["points"], yaml.SequenceNode):
        nodes += values["points"].value
    return {key.value for point in nodes if isinstance(point, yaml.MappingNode)
            for key, _ in point.value if isinstance(key, yaml.ScalarNode)}


def _read_variables(node, expression, parameters, columns, graph, expression_line, given=()):
    """The differentiated symbols. A declared variable that does not appear in the
    function (``2*x**0``, ``x2`` in ``x3*sin(x1)``) has partial derivative 0: it is
    kept. Without ``variables:``, a point's extra keys are such variables only when
    the point covers every symbol of the function (else they are likely typos)."""
    params = {name for name, _ in parameters}
    inner = {s.name for d in expression.atoms(DataSum) for s in d.free_symbols}
    outer = {s.name for s in expression.replace(lambda e: isinstance(e, DataSum),
                                                lambda e: sympy.Integer(1)).free_symbols}
    line = line_of(node) if node is not None else None
    for column in sorted(columns & outer):
        raise CaseError(f"data column '{column}' is used outside sum(...) or mean(...)",
                        line=expression_line, key="function" if not graph else "graph")
    free = (outer | inner) - columns
    if node is None:
        found = free - params
        nodes = {n.name for n in graph}
        extra = {k for k in given if k not in params | columns | nodes
                 and re.match(r"[A-Za-z][A-Za-z0-9_]*\Z", k) and k not in RESERVED}
        if found <= set(given) and extra:
            found |= extra
        return tuple(sorted(found))
    if not isinstance(node, yaml.SequenceNode):
        raise CaseError(f"expected a list of names, got {kind_of(node)}", line=line, key="variables")
    variables = tuple(normal_name(scalar(item, "variables", "a name")) for item in node.value)
    for name in variables:
        if variables.count(name) > 1:
            raise CaseError(f"variable '{name}' is listed twice", line=line, key="variables")
        if name in params or name in columns:
            raise CaseError(f"'{name}' is a parameter or a data column, not a variable",
                            line=line, key="variables")
        if name in {n.name for n in graph}:
            raise CaseError(f"'{name}' is a graph node, not a variable", line=line, key="variables")
    stray = sorted(free - params - set(variables))
    if stray:
        raise CaseError(f"symbol '{stray[0]}' is neither a variable, a parameter nor a data column",
                        line=line, key="variables")
    return variables


def _read_points(values, node, variables):
    if "at" in values and "points" in values:
        raise CaseError("give either 'at' or 'points', not both", line=line_of(values["points"]),
                        key="points")
    if "at" in values:
        return (read_point(values["at"], variables, "at", value_of),)
    if "points" in values:
        points_node = values["points"]
        if not isinstance(points_node, yaml.SequenceNode) or not points_node.value:
            raise CaseError("expected a non-empty list of points", line=line_of(points_node),
                            key="points")
        return tuple(read_point(p, variables, "points", value_of) for p in points_node.value)
    raise CaseError("a case needs 'at' (one point) or 'points' (a list)", line=line_of(node),
                    key="at")


def _read_tolerance(node):
    if node is None:
        return None
    found = {}
    for key, key_node, value_node in items(node, what="mapping {rtol: .., atol: ..}"):
        if key not in schema.TOLERANCE_KEYS:
            raise CaseError(f"unknown tolerance '{key}'{suggest(key, schema.TOLERANCE_KEYS)}",
                            line=line_of(key_node), key="tolerance")
        number = value_of(value_node, "tolerance").float64
        if not number >= 0:
            raise CaseError(f"`{key}` must be non-negative.", line=line_of(value_node),
                            key="tolerance")
        found[key] = number
    return Tolerance(**found)


def _read_implementation(node):
    if node is None:
        return ()
    found = []
    for key, key_node, value_node in items(node, what="mapping {value: .., gradient: ..}"):
        if key not in ("value", "gradient"):
            raise CaseError(f"unknown implementation key '{key}'{suggest(key, ('value', 'gradient'))}",
                            line=line_of(key_node), key="implementation")
        target = scalar(value_node, "implementation", "'module:callable'")
        if not _IMPLEMENTATION.match(target):
            raise CaseError(f"expected 'module:callable', got {target!r}",
                            line=line_of(value_node), key="implementation")
        found.append((key, target))
    return tuple(found)
