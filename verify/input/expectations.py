"""The ``expect`` key: hand-written values, one entry or one per point."""
from __future__ import annotations

import math
from dataclasses import dataclass

import yaml

from verify.input import schema
from verify.input.loading import CaseError, items, kind_of, line_of, suggest
from verify.input.values import Value

_PER_POINT = ("value", "derivative", "gradient", "hessian", "adjoint", "jacobian")


@dataclass(frozen=True)
class Expect:
    """Expectations. Per-point fields hold one entry per point (a single
    written entry is repeated); mapping entries are ``((name, Value), ...)``
    and a Hessian is a tuple of rows."""

    value: tuple = ()
    derivative: tuple = ()
    gradient: tuple = ()
    hessian: tuple = ()
    adjoint: tuple = ()
    taylor: tuple[Value, ...] = ()
    minimum: tuple[tuple[str, Value], ...] = ()
    radius: object = None  # a Value, or math.inf (written .inf)
    jacobian: tuple = ()   # per point: rows (one per output) of Values (one per variable)
    lines: tuple[tuple[str, int], ...] = ()

    def at(self, key: str, index: int):
        entries = getattr(self, key)
        return entries[index] if entries else None

    def line(self, key: str, default: int = 0) -> int:
        return dict(self.lines).get(key, default)


def read_expect(node, variables, points, graph, value_of, outputs=()) -> Expect:
    """``outputs``: the output names of a vector-valued function (empty for a
    scalar one, which takes every key but ``jacobian``)."""
    if node is None:
        return Expect()
    found, lines = {}, {}
    node_names = [n.name for n in graph]
    for key, key_node, value_node in items(node, what="mapping of expectations"):
        if key not in schema.EXPECT_KEYS:
            raise CaseError(f"unknown expectation '{key}'{suggest(key, schema.EXPECT_KEYS)} "
                            f"(known: {', '.join(schema.EXPECT_KEYS)})", line=line_of(key_node),
                            key="expect")
        lines[key] = line_of(key_node)
        reader = {
            "value": lambda n: value_of(n, "expect"),
            "derivative": lambda n: value_of(n, "expect"),
            "gradient": lambda n: _mapping(n, variables, "variable", value_of),
            "hessian": lambda n: _matrix(n, len(variables), value_of),
            "adjoint": lambda n: _mapping(n, node_names, "graph node", value_of),
            "taylor": lambda n: _list(n, value_of),
            "minimum": lambda n: _mapping(n, variables, "variable", value_of, every=True),
            "radius": lambda n: _radius(n, value_of),
            "jacobian": lambda n: _jacobian(n, len(outputs), len(variables), value_of),
        }[key]
        if outputs and key not in schema.VECTOR_EXPECT_KEYS:
            raise CaseError(f"'{key}' needs a scalar function; this function has "
                            f"{len(outputs)} outputs ({', '.join(outputs)}): use 'jacobian'",
                            line=line_of(key_node), key="expect")
        if key == "jacobian" and not outputs:
            raise CaseError("'jacobian' needs a vector-valued function (a list or a mapping "
                            "under 'function'); use 'gradient' for a scalar one",
                            line=line_of(key_node), key="expect")
        if key == "adjoint" and not graph:
            raise CaseError("'adjoint' needs a 'graph' (it names graph nodes)",
                            line=line_of(key_node), key="expect")
        if key in _PER_POINT and _is_per_point_list(key, value_node):
            entries = tuple(reader(item) for item in value_node.value)
            if len(entries) not in (1, len(points)):
                raise CaseError(f"'{key}' lists {len(entries)} entries for {len(points)} points "
                                "(give one entry, or one per point)", line=line_of(value_node),
                                key="expect")
            found[key] = entries * len(points) if len(entries) == 1 else entries
        elif key in _PER_POINT:
            found[key] = (reader(value_node),) * len(points)
        else:
            found[key] = reader(value_node)
    return Expect(**found, lines=tuple(sorted(lines.items())))


INFINITY_TEXTS = (".inf", "+.inf", "inf", "+inf", "infinity", "+infinity")


def _radius(node, value_of):
    """A radius of convergence: a positive number, or ``.inf`` (math.inf)."""
    if isinstance(node, yaml.ScalarNode) and node.value.strip().lower() in INFINITY_TEXTS:
        return math.inf
    value = value_of(node, "expect")
    if not value.exact > 0:
        raise CaseError(f"radius must be positive or .inf, got {value.text}", line=line_of(node),
                        key="expect")
    return value


def _is_per_point_list(key, node) -> bool:
    if not isinstance(node, yaml.SequenceNode):
        return False
    if key in ("hessian", "jacobian"):  # a single matrix is a list of lists of numbers
        first = node.value[0] if node.value else None
        inner = first.value[0] if isinstance(first, yaml.SequenceNode) and first.value else None
        return isinstance(inner, yaml.SequenceNode)
    return True


def _mapping(node, names, what, value_of, every=False):
    found = {}
    for name, name_node, value_node in items(node, what=f"mapping of {what}: value"):
        if name not in names:
            raise CaseError(f"{what} '{name}' is not in the case{suggest(name, names)}",
                            line=line_of(name_node), key="expect")
        found[name] = value_of(value_node, "expect")
    if every:
        missing = [n for n in names if n not in found]
        if missing:
            raise CaseError(f"no value for variable '{missing[0]}'", line=line_of(node), key="expect")
    return tuple((n, found[n]) for n in names if n in found)


def _list(node, value_of):
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise CaseError(f"expected a non-empty list of numbers, got {kind_of(node)}",
                        line=line_of(node), key="expect")
    return tuple(value_of(item, "expect") for item in node.value)


def _matrix(node, size, value_of):
    rows = _rows(node)
    if len(rows) != size or any(not isinstance(r, yaml.SequenceNode) or len(r.value) != size
                                for r in rows):
        raise CaseError(f"hessian must be a {size}x{size} nested list in 'variables' order",
                        line=line_of(node), key="expect")
    return tuple(tuple(value_of(item, "expect") for item in row.value) for row in rows)


def _jacobian(node, outputs, size, value_of):
    rows = _rows(node, "jacobian")
    if len(rows) != outputs or any(not isinstance(r, yaml.SequenceNode) or len(r.value) != size
                                   for r in rows):
        raise CaseError(f"jacobian must be a {outputs}x{size} nested list: one row per output, "
                        "one entry per variable in 'variables' order", line=line_of(node),
                        key="expect")
    return tuple(tuple(value_of(item, "expect") for item in row.value) for row in rows)


def _rows(node, what="hessian"):
    if not isinstance(node, yaml.SequenceNode):
        raise CaseError(f"{what} must be a nested list, got {kind_of(node)}", line=line_of(node),
                        key="expect")
    return node.value
