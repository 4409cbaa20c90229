"""The reverse-mode engine: a forward pass of values, a backward pass of adjoints.

It reads like micrograd's ``engine.py`` [1]_: a :class:`Node` holds a
float64 value and its adjoint (the derivative of the output with respect to
the node); each operation makes a node whose closure ``rule`` gives the
local derivatives d(node)/d(parent) at the forward values, and
:func:`backward` walks the nodes in reverse creation order adding
``adjoint * local`` into every parent. Parents are tuples, so the order of
everything (and of every rounding) is fixed.

A :class:`Graph` is compiled once per case, from a SymPy expression (one
node per SymPy operation; SymPy builds equal subexpressions once, so a
subexpression used twice is one node and its adjoint sums both uses) or
from a case's ``graph`` (one node per named node, whose local derivatives
come from a backward pass over its own expression). Inside ``sum``/``mean``
values are NumPy arrays over the data rows, so a loss over 10,000 rows is a
pass over a handful of nodes; a scalar used in every row gets the sum of
the rows' adjoints.

Kinks. Where ``abs``, ``Max`` or ``Min`` (so ``relu``) switch branch the
function has no derivative; the engine uses the subgradient of least norm
of the node's own subdifferential and flags the node (``kink``):
``abs'(0) = 0``, ``relu'(0) = 0`` (as PyTorch does), and a tie of ``k``
inputs of ``Max``/``Min`` gives each of them ``1/k`` of the adjoint, or
``0`` when a constant is among the tied (``relu(z) = Max(0, z)``).

Floats take the fast path through :mod:`math`; when ``math`` raises (a
domain error, a pole, an overflow) the pass is repeated in NumPy, which
gives ``nan`` or ``inf`` instead, and a NaN never passes a check.

References
----------
.. [1] Karpathy, A. "micrograd", engine.py (2020), github.com/karpathy/micrograd.
.. [2] Griewank, A. and Walther, A. "Evaluating Derivatives", 2nd ed., SIAM
   (2008), ch. 3 (the reverse mode).
"""
from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass

import numpy as np
import sympy

from verify.input.expressions import DataSum, symbol
from verify.core.functions import BY_NAME, NUMPY, passes, pieces, primitive_of

_NUMPY = NUMPY  # the registry's NumPy namespace: lib.sin(a), lib.pow(a, b) on arrays


def _lib(*values):
    for v in values:
        if type(v) is not float:
            return _NUMPY
    return math


def _value(a):
    return a.value if isinstance(a, Node) else a


def _split(args):
    """(parents, constants) of an operation's arguments."""
    parents, constants = [], []
    for a in args:
        (parents if isinstance(a, Node) else constants).append(a)
    return tuple(parents), constants


class Node:
    """A value of the graph (float, or array over data rows) and its adjoint.

    ``rule()`` returns the local derivatives d(self)/d(parent), one per
    parent; constants taking part in an operation are not parents.
    """

    __slots__ = ("value", "parents", "op", "rule", "name", "adjoint", "local", "kink")

    def __init__(self, value, parents=(), op="input", rule=None, kink=False):
        self.value = value
        self.parents = parents
        self.op = op
        self.rule = rule
        self.name = ""
        self.adjoint = 0.0
        self.local = ()
        self.kink = kink

    def __repr__(self):
        return f"Node({self.name or self.op}, value={self.value!r}, adjoint={self.adjoint!r})"

    @staticmethod
    def add(*args):
        parents, constants = _split(args)
        value = sum(constants, 0.0)
        for p in parents:
            value = value + p.value
        ones = (1.0,) * len(parents)
        return Node(value, parents, "+", lambda: ones)

    @staticmethod
    def mul(*args):
        parents, constants = _split(args)
        factor = functools.reduce(operator.mul, constants, 1.0)
        values = [p.value for p in parents]
        value = functools.reduce(operator.mul, values, factor)

        def rule():  # d/dv_i = factor * the product of the other values
            if len(values) == 2:
                return factor * values[1], factor * values[0]
            return tuple(functools.reduce(operator.mul, values[:i] + values[i + 1:], factor)
                         for i in range(len(values)))
        return Node(value, parents, "*", rule)

    @staticmethod
    def pow(base, exponent):
        b, e = _value(base), _value(exponent)
        lib = _lib(b, e)
        value = lib.pow(b, e)
        if not isinstance(exponent, Node):  # the common case: x**n
            parents = (base,) if isinstance(base, Node) else ()
            return Node(value, parents, "**", lambda: (e * lib.pow(b, e - 1.0),))

        def rule():
            local = (lib.log(b) * value,)
            return (e * lib.pow(b, e - 1.0),) + local if isinstance(base, Node) else local
        parents = (base, exponent) if isinstance(base, Node) else (exponent,)
        return Node(value, parents, "**", rule)

    @staticmethod
    def unary(name, a):
        v = _value(a)
        primitive = BY_NAME[name]
        lib = math if type(v) is float else _NUMPY
        value = primitive.scalar(v) if lib is math else primitive.numpy(v)
        derivative = primitive.derivative
        parents = (a,) if isinstance(a, Node) else ()
        return Node(value, parents, name, lambda: (derivative(lib, v, value),))

    @staticmethod
    def abs(a):
        v = _value(a)
        if type(v) is float:
            sign = float((v > 0) - (v < 0))
        else:
            sign = np.sign(v)  # np.sign(0) == 0: the least-norm subgradient
        parents = (a,) if isinstance(a, Node) else ()
        return Node(abs(v), parents, "abs", lambda: (sign,), kink=bool(np.any(v == 0)))

    @staticmethod
    def extreme(kind, *args):
        values = [_value(a) for a in args]
        if _lib(*values) is math:
            value = max(values) if kind == "Max" else min(values)
        else:
            value = functools.reduce(np.maximum if kind == "Max" else np.minimum, values)
        hits = [v == value for v in values]
        ties = sum(hits)
        held = functools.reduce(operator.or_, (h for h, a in zip(hits, args)
                                               if not isinstance(a, Node)), False)
        # least-norm subgradient: share a tie equally, or 0 when a constant is tied
        share = (0.0 if held else 1.0 / ties) if type(ties) is int else \
            np.where(held, 0.0, 1.0 / np.maximum(ties, 1))
        local = tuple(hit * share for hit, a in zip(hits, args) if isinstance(a, Node))
        parents = tuple(a for a in args if isinstance(a, Node))
        return Node(value, parents, kind, lambda: local, kink=bool(np.any(ties > 1)))

    @staticmethod
    def select(tests, *args):
        """where(c, a, b): the value of the first piece whose comparison holds.
        ``args`` hold each piece's value, then (unless its test is None) the
        difference lhs - rhs that its test compares with 0."""
        values, differences, k = [], [], 0
        for test in tests:
            values.append(args[k])
            differences.append(None if test is None else _value(args[k + 1]))
            k += 1 if test is None else 2
        chosen = [True if t is None else passes(t, d) for t, d in zip(tests, differences)]
        arrays = any(isinstance(c, np.ndarray) for c in chosen) or \
            any(isinstance(_value(v), np.ndarray) for v in values)
        taken, weights = False, []
        for c in chosen:  # one-hot: the first piece that holds
            weights.append(np.logical_and(c, np.logical_not(taken)) if arrays else (c and not taken))
            taken = np.logical_or(taken, c) if arrays else (taken or c)
        value = sum((np.where(w, _value(v), 0.0) if arrays else (_value(v) if w else 0.0))
                    for w, v in zip(weights, values))
        parents = tuple(v for v in values if isinstance(v, Node))
        local = tuple(np.asarray(w, dtype=float) if arrays else float(w)
                      for w, v in zip(weights, values) if isinstance(v, Node))
        kink = any(d is not None and bool(np.any(d == 0)) for d in differences)
        return Node(value, parents, "where", lambda: local, kink=kink)

    @staticmethod
    def datasum(rows, a):
        v = _value(a)
        parents = (a,) if isinstance(a, Node) else ()
        if isinstance(v, np.ndarray):
            return Node(np.sum(v), parents, "sum", lambda: (np.ones_like(v),))
        return Node(rows * v, parents, "sum", lambda: (float(rows),))  # the same in every row

    @staticmethod
    def composite(inner, *parents):
        """A named node of a case's graph: its own small graph over its inputs."""
        nodes = inner.forward([p.value for p in parents])

        def rule():
            backward(nodes)
            return tuple(n.adjoint for n in nodes[:len(parents)])
        return Node(nodes[-1].value, parents, "graph", rule, kink=any(n.kink for n in nodes))

    @staticmethod
    def same(a):
        if isinstance(a, Node):
            return Node(a.value, (a,), "=", lambda: (1.0,))
        return Node(a, (), "const")


def backward(nodes) -> None:
    """Send the last node's adjoint (1) back through ``nodes`` (in creation order):
    each node's ``local`` derivatives are computed, then ``adjoint`` set."""
    for node in nodes:
        if node.rule is not None:
            node.local = node.rule()
    adjoints = propagate(nodes)
    for node in nodes:
        node.adjoint = adjoints[id(node)]


def propagate(nodes, transform=None) -> dict:
    """The reverse sweep over nodes whose ``local`` derivatives are set: the
    adjoint of each node, keyed by ``id(node)``, with every local derivative
    passed through ``transform`` first (``np.abs`` gives the magnitudes the
    backward pass rounds, before any cancellation)."""
    found = {id(n): 0.0 for n in nodes}
    found[id(nodes[-1])] = 1.0
    for node in reversed(nodes):
        for parent, d in zip(node.parents, node.local):
            g = found[id(node)] * (d if transform is None else transform(d))
            if isinstance(g, np.ndarray) and not isinstance(parent.value, np.ndarray):
                g = np.sum(g)  # a scalar used in every row: the rows' adjoints add up
            found[id(parent)] = found[id(parent)] + g
    return found


def tangents(nodes, seed) -> list:
    """Forward mode (a JVP): the tangent of every node, in creation order, when
    the inputs move along ``seed`` (one number per leading input node; the other
    inputs, such as parameters, stay fixed). The same local derivatives as
    :func:`backward`, swept the other way: t(node) = sum of d(node)/d(parent) t(parent)."""
    with np.errstate(all="ignore"):  # an overflow's NaN is judged by the checks, not warned
        return _swept(nodes, seed)


def _swept(nodes, seed) -> list:
    found, moving = {}, set()
    for i, node in enumerate(nodes):
        if node.rule is None:
            found[id(node)] = float(seed[i]) if i < len(seed) else 0.0
            if found[id(node)] != 0:
                moving.add(id(node))
            continue
        if not any(id(parent) in moving for parent in node.parents):
            found[id(node)] = 0.0  # an exact 0: no input it depends on moves
            continue
        moving.add(id(node))
        total = 0.0
        for parent, d in zip(node.parents, node.rule()):
            if id(parent) not in moving:
                continue  # 0 exactly, even where d overflowed (inf * 0 would be NaN)
            g = d * found[id(parent)]
            if isinstance(g, np.ndarray) and not isinstance(node.value, np.ndarray):
                g = np.sum(g)  # a sum over data rows of a scalar's tangent
            total = total + g
        found[id(node)] = total
    return [found[id(n)] for n in nodes]


@dataclass(frozen=True, eq=False)
class Step:
    """One operation of a compiled graph."""

    name: str
    text: str     # the operation in its parents' names, e.g. "sin(t1)"
    make: object  # the Node constructor
    args: tuple   # int: index of an earlier node; anything else: a constant
    cost: int     # rounding steps, for the error model of the checks


class Graph:
    """Nodes in evaluation order: the inputs, then one :class:`Step` each.

    ``forward(values)`` builds the :class:`Node` objects (micrograd style);
    :meth:`run` also runs :func:`backward`, falling back to NumPy's
    inf/nan arithmetic when Python's ``math`` raises.
    """

    def __init__(self, inputs, steps, arrays=False):
        self.inputs = tuple(inputs)
        self.steps = tuple(steps)
        self.arrays = arrays  # data rows: NumPy takes part even on the fast path

    @property
    def names(self) -> tuple[str, ...]:
        return self.inputs + tuple(s.name for s in self.steps)

    @property
    def operations(self) -> int:
        return sum(step.cost for step in self.steps)

    def forward(self, values):
        nodes = []
        for name, v in zip(self.inputs, values):
            node = Node(v)
            node.name = name
            nodes.append(node)
        for step in self.steps:
            node = step.make(*[nodes[a] if type(a) is int else a for a in step.args])
            node.name = step.name
            nodes.append(node)
        return nodes

    def run(self, values):
        """Forward and backward passes at one point; the nodes, output last."""
        try:
            if self.arrays:
                with np.errstate(all="ignore"):
                    nodes = self.forward([float(v) for v in values])
                    backward(nodes)
            else:  # floats only: math raises where NumPy would warn
                nodes = self.forward([float(v) for v in values])
                backward(nodes)
        except (ArithmeticError, ValueError):  # math's domain errors, poles, overflow
            with np.errstate(all="ignore"):
                nodes = self.forward([np.float64(v) for v in values])
                backward(nodes)
        return nodes

    def gradient(self, values):
        """(output value, adjoint of every input) at one point."""
        nodes = self.run(values)
        return nodes[-1].value, tuple(n.adjoint for n in nodes[:len(self.inputs)])


def _fresh(base, taken):
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    return name


def _maker(expr, rows):
    """(Node constructor, rounding steps) of one SymPy operation."""
    if expr.is_Add:
        return Node.add, len(expr.args) - 1
    if expr.is_Mul:
        return Node.mul, len(expr.args) - 1
    if expr.is_Pow:
        return Node.pow, 2
    if isinstance(expr, DataSum):
        return functools.partial(Node.datasum, rows), 1 + math.ceil(math.log2(max(rows, 2)))
    if isinstance(expr, sympy.Abs):
        return Node.abs, 1
    if isinstance(expr, (sympy.Max, sympy.Min)):
        return functools.partial(Node.extreme, type(expr).__name__), 1
    if isinstance(expr, sympy.Piecewise):
        return functools.partial(Node.select, tuple(t for _, _, t in pieces(expr))), 1
    primitive = primitive_of(expr)
    if primitive is not None and len(expr.args) == 1:
        return functools.partial(Node.unary, primitive.name), 2
    name = type(expr).__name__
    raise ValueError(f"backprop has no rule for {name} (in {expr})")


def _operands(expr) -> tuple:
    """The subexpressions an operation's node takes as arguments, in order."""
    if isinstance(expr, sympy.Piecewise):
        return tuple(part for value, difference, _ in pieces(expr)
                     for part in ((value,) if difference is None else (value, difference)))
    return expr.args


def _text(expr, args, names) -> str:
    shown = [sympy.Symbol(names[a]) if type(a) is int else e
             for e, a in zip(_operands(expr), args)]
    if isinstance(expr, sympy.Piecewise):  # where(t2 > 0, t1, t3): the difference as lhs
        parts, k = [], 0
        for _, difference, test in pieces(expr):
            if test is None:
                parts.append(sympy.sstr(shown[k]))
                k += 1
            else:
                parts.extend((f"{sympy.sstr(shown[k + 1])} {test} 0", sympy.sstr(shown[k])))
                k += 2
        return "where(" + ", ".join(parts) + ")"
    if isinstance(expr, DataSum):
        return f"sum({shown[0]})"
    text = sympy.sstr(expr.func(*shown, evaluate=False))
    return text.replace("Abs(", "abs(")


def from_expression(expr, inputs, data=(), *, output="f") -> Graph:
    """Compile a SymPy expression: one step per operation, shared subexpressions once.

    ``inputs`` name the leaves (variables, parameters); ``data`` columns are
    constants (arrays over the rows); subexpressions without inputs are
    folded into constants.

    Examples
    --------
    >>> from verify.input.expressions import parse
    >>> graph = from_expression(parse("x**2*sin(y)"), ("x", "y"))
    >>> graph.names
    ('x', 'y', 't1', 't2', 'f')
    >>> value, (dx, dy) = graph.gradient([1.5, 0.3])
    >>> round(dx, 12), round(dy, 12)
    (0.886560619984, 2.149507100533)
    """
    index = {symbol(n): i for i, n in enumerate(inputs)}
    columns = {symbol(c.name): np.asarray(c.floats, dtype=np.float64) for c in data}
    rows = len(data[0].floats) if data else 0
    names, steps, memo = list(inputs), [], {}
    taken = set(inputs) | {c.name for c in data}
    output = _fresh(output, taken)
    taken.add(output)

    def visit(e):
        if e in memo:
            return memo[e]
        if e in index:
            found = index[e]
        elif e in columns:
            found = columns[e]
        elif not e.free_symbols and not e.has(DataSum):
            try:
                found = float(e)
            except TypeError:  # a complex constant such as sqrt(-2)
                found = float("nan")
        else:
            make, cost = _maker(e, rows)
            args = tuple(visit(a) for a in _operands(e))
            if any(type(a) is int for a in args):
                name = _fresh(f"t{len(steps) + 1}", taken)
                taken.add(name)
                steps.append(Step(name, _text(e, args, names), make, args, cost))
                names.append(name)
                found = len(names) - 1
            else:  # data columns only: a constant array
                with np.errstate(all="ignore"):
                    found = make(*[np.float64(a) if type(a) is float else a for a in args]).value
        memo[e] = found
        return found

    top = visit(expr)
    if type(top) is int and steps and top == len(names) - 1:
        last = steps[-1]
        steps[-1] = Step(output, last.text, last.make, last.args, last.cost)
    else:  # the output is an input or a constant
        args = (top,)
        text = names[top] if type(top) is int else sympy.sstr(expr)
        steps.append(Step(output, text, Node.same, args, 0))
    return Graph(inputs, steps, arrays=bool(data))


def from_graph(graph, inputs, data=()) -> Graph:
    """Compile a case's ``graph`` (GraphNode tuple): one step per named node."""
    names, steps = list(inputs), []
    for node in graph:
        free = node.expression.free_symbols
        used = tuple(n for n in names if symbol(n) in free)
        inner = from_expression(node.expression, used, data, output=node.name)
        steps.append(Step(node.name, node.text, functools.partial(Node.composite, inner),
                          tuple(names.index(n) for n in used), max(1, inner.operations)))
        names.append(node.name)
    return Graph(inputs, steps, arrays=bool(data))
