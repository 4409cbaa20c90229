"""The ``shapes:`` key (CASES.md v1.1, tensor variables) and its nested lists.

``shapes: {W: [2, 3], x: [3]}`` declares tensor variables (or parameters).
Before a case is read, every place that gives a tensor a value by a nested
list (``at``, ``points``, ``parameters``, ``variables``, ``expect.gradient``,
``expect.minimum``, the ``start`` of ``descent``) is rewritten into scalar
entries named ``W[0,0]``, ``W[0,1]``, ...; the rest of the reader and every
engine then see ordinary scalar variables.
"""
from __future__ import annotations

import math

import yaml

from verify.input.expressions import RESERVED
from verify.input.loading import CaseError, items, kind_of, line_of
from verify.input.tensors import MAX_ENTRIES, MAX_RANK, entry_name, indices, split_entry

_STR = "tag:yaml.org,2002:str"


def read_shapes(node) -> dict[str, tuple[int, ...]]:
    """``name: [sizes]`` checked: a plain name, 1 or 2 positive sizes, and at
    most MAX_ENTRIES scalar entries over all tensors."""
    if node is None:
        return {}
    shapes, total = {}, 0
    for name, name_node, value_node in items(node, what="mapping of name: [sizes]"):
        if not name.isidentifier() or not name.isascii() or name.startswith("_") \
                or name in RESERVED:
            raise CaseError(f"'{name}' cannot be a tensor name", line=line_of(name_node),
                            key="shapes")
        sizes = value_node.value if isinstance(value_node, yaml.SequenceNode) else None
        if not sizes or len(sizes) > MAX_RANK or not all(
                isinstance(s, yaml.ScalarNode) and s.value.isdigit() and int(s.value) > 0
                for s in sizes):
            raise CaseError(f"the shape of '{name}' must be a list of 1 or {MAX_RANK} positive "
                            f"whole numbers, e.g. [2, 3], got {kind_of(value_node)}",
                            line=line_of(value_node), key="shapes")
        shape = tuple(int(s.value) for s in sizes)
        total += math.prod(shape)
        if total > MAX_ENTRIES:
            raise CaseError(f"the tensors up to '{name}' have {total} scalar entries; the limit "
                            f"is {MAX_ENTRIES} per case", line=line_of(value_node), key="shapes")
        shapes[name] = shape
    return shapes


def expand_case_values(values: dict, shapes) -> dict:
    """``values`` (key -> YAML node) with every tensor's nested list spread into
    its entries; nodes without tensors are returned as they are."""
    if not shapes:
        return values
    found = dict(values)
    if "at" in found:
        found["at"] = _expand_mapping(found["at"], shapes, "at")
    if isinstance(found.get("points"), yaml.SequenceNode):
        points = found["points"]
        found["points"] = _copy_sequence(points, [_expand_mapping(p, shapes, "points")
                                                  for p in points.value])
    if "parameters" in found:
        found["parameters"] = _expand_mapping(found["parameters"], shapes, "parameters")
    if isinstance(found.get("variables"), yaml.SequenceNode):
        found["variables"] = _expand_names(found["variables"], shapes)
    if isinstance(found.get("expect"), yaml.MappingNode):
        found["expect"] = _rewrite_keys(found["expect"], ("gradient", "minimum"), shapes, "expect")
    if isinstance(found.get("checks"), yaml.MappingNode):
        found["checks"] = _rewrite_descent(found["checks"], shapes)
    return found


def expand_adjoints(values: dict, node_names) -> dict:
    """``values`` with ``expect.adjoint``'s nested lists for tensor-valued graph
    nodes spread into their entries (``z: [1, 2]`` to ``z[0]: 1, z[1]: 2``)."""
    shapes = {}
    for name in node_names:
        parts = split_entry(name)
        if parts:
            known = shapes.get(parts[0], (0,) * len(parts[1]))
            shapes[parts[0]] = tuple(max(k, i + 1) for k, i in zip(known, parts[1]))
    if not shapes or not isinstance(values.get("expect"), yaml.MappingNode):
        return values
    return {**values, "expect": _rewrite_keys(values["expect"], ("adjoint",), shapes, "expect")}


def order_entries(variables, shapes) -> tuple[str, ...]:
    """Sorted variables with a tensor's entries in row-major order (``W[0,10]``
    after ``W[0,9]``), as they are sorted by name otherwise."""
    def key(name):
        parts = split_entry(name)
        return (parts[0], parts[1]) if parts and parts[0] in shapes else (name, ())
    return tuple(sorted(variables, key=key))


def _expand_mapping(node, shapes, key):
    """A mapping ``name: value`` with each tensor's nested list spread."""
    if not isinstance(node, yaml.MappingNode):
        return node  # the ordinary reader says what is wrong with it
    pairs = []
    for name_node, value_node in node.value:
        name = name_node.value if isinstance(name_node, yaml.ScalarNode) else None
        if name in shapes:
            pairs += _spread(name, shapes[name], value_node, key)
        else:
            if isinstance(name, str) and split_entry(name) and split_entry(name)[0] in shapes:
                raise CaseError(f"give '{split_entry(name)[0]}' as a nested list, not "
                                f"entry by entry ('{name}')", line=line_of(name_node), key=key)
            pairs.append((name_node, value_node))
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark,
                            flow_style=node.flow_style)


def _spread(name, shape, node, key):
    """The (entry key node, value node) pairs of a nested list of ``shape``."""
    pairs = []
    for index in indices(shape):
        item = node
        for depth, i in enumerate(index):
            if not isinstance(item, yaml.SequenceNode) or len(item.value) != shape[depth]:
                raise CaseError(f"'{name}' has shape {list(shape)}: expected a nested list "
                                f"of that shape, got {kind_of(item)} at depth {depth + 1}",
                                line=line_of(item), key=key)
            item = item.value[i]
        if not isinstance(item, yaml.ScalarNode):
            raise CaseError(f"'{name}' has shape {list(shape)}: its entries must be numbers, "
                            f"got {kind_of(item)}", line=line_of(item), key=key)
        label = yaml.ScalarNode(_STR, entry_name(name, index), item.start_mark, item.end_mark)
        pairs.append((label, item))
    return pairs


def _expand_names(node, shapes):
    """``variables: [W, b]`` lists every entry of each tensor, in row-major order."""
    entries = []
    for item in node.value:
        if isinstance(item, yaml.ScalarNode) and item.value in shapes:
            entries += [yaml.ScalarNode(_STR, entry_name(item.value, index), item.start_mark,
                                        item.end_mark) for index in indices(shapes[item.value])]
        else:
            entries.append(item)
    return _copy_sequence(node, entries)


def _rewrite_keys(node, keys, shapes, where):
    pairs = []
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value in keys:
            value_node = _per_point(value_node, shapes, where)
        pairs.append((key_node, value_node))
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark,
                            flow_style=node.flow_style)


def _per_point(node, shapes, where):
    if isinstance(node, yaml.SequenceNode):  # one mapping per point
        return _copy_sequence(node, [_expand_mapping(n, shapes, where) for n in node.value])
    return _expand_mapping(node, shapes, where)


def _rewrite_descent(node, shapes):
    pairs = []
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == "descent" and isinstance(value_node,
                                                                        yaml.MappingNode):
            value_node = _rewrite_keys(value_node, ("start",), shapes, "checks")
        pairs.append((key_node, value_node))
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark,
                            flow_style=node.flow_style)


def _copy_sequence(node, entries):
    return yaml.SequenceNode(node.tag, entries, node.start_mark, node.end_mark,
                             flow_style=node.flow_style)


LABEL_ENTRIES = 12  # a larger tensor is shown by its shape in a row's point


def tensor_label(variables, point, shapes) -> str:
    """A point as written: ``W=[[1, 2], [3, 4]], x=0.5``; a tensor of more than
    LABEL_ENTRIES entries by its shape (``W=[10x10]``), to keep rows short."""
    parts, grouped = [], {}
    for name, value in zip(variables, point):
        entry = split_entry(name)
        if entry and entry[0] in shapes:
            if entry[0] not in grouped:
                grouped[entry[0]] = {}
                parts.append(entry[0])
            grouped[entry[0]][entry[1]] = value.text
        else:
            parts.append(f"{name}={value.text}")
    return ", ".join(_tensor_text(p, shapes[p], grouped[p]) if p in grouped else p
                     for p in parts)


def _tensor_text(name, shape, entries) -> str:
    if math.prod(shape) > LABEL_ENTRIES or len(entries) != math.prod(shape):
        return f"{name}=[{'x'.join(str(s) for s in shape)}]"
    if len(shape) == 1:
        return f"{name}=[{', '.join(entries[(i,)] for i in range(shape[0]))}]"
    rows = ("[" + ", ".join(entries[(i, j)] for j in range(shape[1])) + "]"
            for i in range(shape[0]))
    return f"{name}=[{', '.join(rows)}]"
