"""The safe expression parser: case text to SymPy, over an allow-list.

Case files come from other people, so their text never reaches ``eval``,
``sympify`` or ``parse_expr``. We parse it with Python's ``ast`` (which
only builds a tree and runs nothing) and build SymPy objects from the node
types, names and functions that CASES.md allows; everything else is an
:class:`ExpressionError` that quotes the offending text.
"""
from __future__ import annotations

import ast
import re
import sys

import sympy

from verify.core.functions import CALLABLE, where
from verify.input import tensors as tensor_ops
from verify.input.tensors import TENSOR_FUNCTIONS, Tensor, TensorError

MAX_LENGTH = 10_000
MAX_DEPTH = 100
MAX_EXPONENT = 1_000
MAX_DIGITS = 10_000  # a numeric power may not build a larger number than this
MAX_LITERAL_DIGITS = 1_000  # digits written in one number (Python refuses past 4300)
# Operations (+, *, **, function calls) in an expression tree, shared subtrees
# counted each time they occur: a graph that reuses each node twice doubles
# per level, and a high derivative grows several-fold per order. Printing,
# compiling and evaluating cost this many steps, so past it we stop.
MAX_OPERATIONS = 200_000
# SymPy levels of a graph written out (each node's text is held to MAX_DEPTH)
MAX_COMPOSED_DEPTH = 250
# SymPy differentiates, prints and compiles by recursion, several frames per
# level: a legal expression 100 levels deep needs more than Python's 1000.
RECURSION_LIMIT = 10_000

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class ExpressionError(ValueError):
    """An expression that CASES.md does not allow, with the reason."""


class ExpressionTooLarge(ExpressionError):
    """An expression (a composed graph, a derivative) past MAX_OPERATIONS."""


def allow_deep_recursion() -> None:
    """Raise the interpreter's recursion limit to RECURSION_LIMIT (never lower it)."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


def fold(expr, combine, known=None):
    """``combine(node, [results of its args])`` bottom-up over ``expr``.

    Each distinct subexpression is combined once, and the walk uses a stack,
    not recursion, so a graph written out 250 levels deep (or one that
    doubles per node) costs one step per distinct piece. ``combine`` may
    raise to stop the walk early. ``known`` (node -> result of the same
    ``combine``, kept by the caller across calls) is read first and receives
    every result, so a later expression sharing subtrees combines only its new
    nodes.
    """
    if known is not None and len(known) > 100_000:  # keep memory bounded
        known.clear()
    done = known if known is not None else {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in done:
            continue
        if ready or not node.args:
            done[node] = combine(node, [done[a] for a in node.args])
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in done)
    return done[expr]


def depth(expr) -> int:
    """SymPy levels of ``expr`` (a symbol or number is 0)."""
    return fold(expr, lambda node, levels: 1 + max(levels) if levels else 0)


class _PastLimit(Exception):
    def __init__(self, size):
        super().__init__(size)
        self.size = size


def operations(expr, *, limit=None) -> int:
    """The number of operations in ``expr`` written out as a tree.

    Shared subexpressions count each time they occur (that is the size of
    the printed formula), but each distinct one is visited once, so a graph
    of 40 nodes that doubles per node costs 40 steps, not 2**40. With
    ``limit``, counting stops early once the count passes it.
    """
    def size(node, sizes):
        total = 1 + sum(sizes) if node.args else 0
        if limit is not None and total > limit:
            raise _PastLimit(total)
        return total
    try:
        total = fold(expr, size, _SIZES)
    except _PastLimit as past:
        return past.size
    # a size known from an earlier count may be far past the limit: say "past it"
    return total if limit is None or total <= limit else limit + 1


# node -> its size, whatever expression it came from: a layer's hundred partial
# derivatives share most of their subtrees, each counted once
_SIZES = {}


class DataSum(sympy.Function):
    """``sum(e)`` over the rows of a case's ``data``.

    The summand keeps the column symbols; the engines evaluate it over the
    rows. It is linear, so d/dw sum(e) = sum(de/dw): columns are constants.
    """

    nargs = 1

    def _eval_derivative(self, symbol):
        inner = self.args[0].diff(symbol)
        return DataSum(inner) if inner != 0 else sympy.Integer(0)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return r"\sum_{i} \left(%s\right)" % printer._print(self.args[0])


FUNCTIONS = CALLABLE  # name -> (builder, arity): the registry in verify.core.functions
CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
DATA_FUNCTIONS = ("sum", "mean")
RESERVED = frozenset(FUNCTIONS) | frozenset(CONSTANTS) | frozenset(DATA_FUNCTIONS)

_COMPARISONS = {ast.Lt: sympy.StrictLessThan, ast.LtE: sympy.LessThan,
                ast.Gt: sympy.StrictGreaterThan, ast.GtE: sympy.GreaterThan}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


# Letters of other scripts drawn like Latin ones (Unicode's confusables, the common part)
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХУаеорсхуіјѕԁһӏԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧαιμνορτυχ",
    "ABEKMHOPCTXYaeopcxyijsdhlqwABEZHIKMNOPTYXaiuvoptux")


def non_ascii(name: str) -> str:
    """Why a name with non-ASCII letters is refused, and the name it looks like."""
    looks = name.translate(_LOOKALIKES)
    like = f" that look like '{looks}'" if looks.isascii() else ""
    return (f"the name {name!r} contains non-ASCII letters{like}; names must be written "
            "in ASCII")


def symbol(name: str) -> sympy.Symbol:
    """The one SymPy symbol for a case's variable, parameter or column."""
    return sympy.Symbol(name, real=True)


def parse(text: str, *, names=None, data=None, shapes=None, allow_tensor=False):
    """Parse case text into a SymPy expression, allowing only CASES.md syntax.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"exp(sin(x**2 + 1))"``.
    names : mapping of str to sympy.Expr, optional
        Names that stand for given expressions (earlier nodes of a graph).
    data : mapping of str to int, optional
        ``{"rows": n}`` when the case has data, which allows ``sum`` and
        ``mean``; ``None`` refuses them.
    shapes : mapping of str to tuple of int, optional
        Tensor variables (``shapes:``); each name stands for a
        :class:`~verify.input.tensors.Tensor` of its entry symbols.
    allow_tensor : bool
        Whether the result may be a tensor (a graph node); a case's
        function must reduce to a scalar.

    Returns
    -------
    sympy.Expr, or a Tensor when ``allow_tensor``

    Raises
    ------
    ExpressionError
        When the text is not an allowed expression; the message quotes it.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression as text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("expression is empty")
    _check_bracket_depth(text)
    allow_deep_recursion()
    limit = sys.getrecursionlimit()
    try:
        # CPython's ast construction counts a long a + b + ... chain as
        # recursion; the length cap above bounds how deep it can go.
        sys.setrecursionlimit(max(limit, 3 * MAX_LENGTH))
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {text.strip()!r} ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"expression is nested too deeply (limit {MAX_DEPTH})") from None
    finally:
        sys.setrecursionlimit(limit)
    _check_tree_depth(tree.body)
    tensors = {name: Tensor.of_symbols(name, shape, symbol) for name, shape in (shapes or {}).items()}
    try:
        expr = _Builder(text.strip(), {**tensors, **(names or {})}, data).build(tree.body)
    except ExpressionError:
        raise
    except TensorError as exc:
        raise ExpressionError(f"{exc}: {text.strip()[:80]!r}") from None
    except (ValueError, TypeError, ArithmeticError) as exc:
        # SymPy refusing to build something, e.g. Max(x, asin(2)): "not comparable"
        raise ExpressionError(f"cannot build {text.strip()[:80]!r}: {exc}") from None
    if isinstance(expr, Tensor):
        if not allow_tensor:
            raise ExpressionError(
                f"{text.strip()[:80]!r} is a tensor of shape {list(expr.shape)}; the function "
                "must reduce to a scalar (e.g. with sum_all, mean_all, dot or an entry z[0])")
        for entry in expr.array.reshape(-1):
            _check_scalar(entry, text, names)
        return expr
    _check_scalar(expr, text, names)
    return expr


def _check_scalar(expr, text, names) -> None:
    """The limits and finiteness rules on one built scalar expression."""
    if names and operations(expr, limit=MAX_OPERATIONS) > MAX_OPERATIONS:
        # only names (graph nodes) can make a short text a huge tree
        raise ExpressionTooLarge(
            f"written out with its earlier nodes, {text.strip()[:80]!r} has more than "
            f"{MAX_OPERATIONS} operations (the limit on expression size)")
    if names and depth(expr) > MAX_COMPOSED_DEPTH:
        raise ExpressionTooLarge(
            f"written out with its earlier nodes, {text.strip()[:80]!r} is nested more than "
            f"{MAX_COMPOSED_DEPTH} levels deep (the limit for a graph)")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError(f"{text.strip()[:80]!r} is not a finite number anywhere "
                              "(a division by zero such as 1/(x - x), or log(0))")
    _check_real_constants(expr, text.strip())
    for power in expr.atoms(sympy.Pow):
        # x*x*...*x folds into one power: hold it to the same limit.
        if power.exp.is_number and abs(power.exp) > MAX_EXPONENT:
            raise ExpressionError(
                f"exponent is larger than {MAX_EXPONENT} in absolute value: {text.strip()[:80]!r}")


def parse_number(text: str) -> sympy.Expr:
    """Parse a numeric value (no free symbols), e.g. ``"pi/4"`` or ``"1e-9"``."""
    expr = parse(text)
    if expr.free_symbols:
        names = ", ".join(sorted(str(s) for s in expr.free_symbols))
        raise ExpressionError(f"{text!r} is not a number (it names {names})")
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ExpressionError(f"{text!r} is not a finite number")
    if not expr.is_real:
        raise ExpressionError(f"{text!r} is not a real number")
    try:
        expr.evalf(20)
    except (OverflowError, ValueError, ZeroDivisionError):
        # e.g. exp(exp(exp(exp(10)))): too large for any arithmetic to hold
        raise ExpressionError(f"{text!r} is too large to evaluate") from None
    return expr


def _check_real_constants(expr, text) -> None:
    """Refuse a constant piece that is not real (asin(2), log(1/2 - E)): it has
    no value in the reals, even where the whole comes back real (asin(2)**2)."""
    def constant(node, args_constant) -> bool:
        if not node.args:
            return not isinstance(node, sympy.Symbol)
        if all(args_constant) and node.is_real is False:
            raise ExpressionError(f"{sympy.sstr(node)[:60]} is not a real number: "
                                  f"{text[:80]!r}")
        return all(args_constant)
    fold(expr, constant)


def _check_bracket_depth(text: str) -> None:
    depth = 0
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply (limit {MAX_DEPTH})")


def _check_tree_depth(root: ast.AST) -> None:
    """Refuse trees deeper than MAX_DEPTH without recursing ourselves.

    A chain of the same associative operator (``a + b + c + ...``) counts
    once, so long sums are fine while ``-(-(-(...)))`` is not.
    """
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply (limit {MAX_DEPTH})")
        for child in ast.iter_child_nodes(node):
            same_chain = (isinstance(node, ast.BinOp) and isinstance(child, ast.BinOp)
                          and type(node.op) is type(child.op)
                          and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)))
            stack.append((child, depth if same_chain else depth + 1))


def _has_tensor(*values) -> bool:
    return any(isinstance(v, Tensor) for v in values)


class _Builder:
    def __init__(self, text, names, data):
        self.text = text
        self.names = names
        self.data = data

    def fail(self, node, why):
        segment = ast.get_source_segment(self.text, node) or self.text
        raise ExpressionError(f"{why}: {segment!r}")

    def build(self, node):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
                return self._chain(node)
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Div):
                return tensor_ops.elementwise(lambda a, b: a / b, left, right) \
                    if _has_tensor(left, right) else left / right
            if _has_tensor(left, right):
                return tensor_ops.elementwise(lambda a, b: self._power(node, a, b), left, right)
            return self._power(node, left, right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return tensor_ops.matmul(self.build(node.left), self.build(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return tensor_ops.elementwise(lambda a: -a, operand) \
                if isinstance(operand, Tensor) else -operand
        if isinstance(node, ast.Subscript) and self._has_tensors():
            return self._subscript(node)
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute):
            self.fail(node, "attribute access is not allowed")
        if isinstance(node, ast.Lambda):
            self.fail(node, "lambdas are not allowed")
        if isinstance(node, ast.Subscript):
            self.fail(node, "subscripts are not allowed")
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self.fail(node, "comprehensions are not allowed")
        if isinstance(node, ast.BinOp):
            self.fail(node, "only + - * / ** are allowed")
        if isinstance(node, ast.Compare):
            self.fail(node, "comparisons are allowed only as the first argument of where(...)")
        self.fail(node, f"{type(node).__name__.lower()} is not allowed in an expression")

    def _chain(self, node):
        # Walk the left spine iteratively so long sums do not recurse.
        ops, rights = [], []
        head = node
        while isinstance(head, ast.BinOp) and isinstance(head.op, (ast.Add, ast.Sub, ast.Mult)) \
                and type(head.op) is type(node.op):
            ops.append(head.op)
            rights.append(head.right)
            head = head.left
        value = self.build(head)
        terms = [value]
        for op, right in zip(reversed(ops), reversed(rights)):
            term = self.build(right)
            if isinstance(op, ast.Sub):
                term = tensor_ops.elementwise(lambda a: -a, term) \
                    if isinstance(term, Tensor) else -term
            terms.append(term)
        if _has_tensor(*terms):
            combine = (lambda *a: sympy.Mul(*a)) if isinstance(node.op, ast.Mult) \
                else (lambda *a: sympy.Add(*a))
            return tensor_ops.elementwise(combine, *terms)
        return sympy.Mul(*terms) if isinstance(node.op, ast.Mult) else sympy.Add(*terms)

    def _has_tensors(self) -> bool:
        return any(isinstance(v, Tensor) for v in self.names.values())

    def _subscript(self, node):
        """``z[1]``, ``W[1, 2]``: one entry (or one row), integer constants only."""
        index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not all(isinstance(i, ast.Constant) and type(i.value) is int for i in index):
            self.fail(node, "an index must be whole numbers written out, e.g. W[1, 2]")
        value = self.build(node.value)
        if not isinstance(value, Tensor):
            self.fail(node, "only a tensor variable (see 'shapes') can be indexed")
        return tensor_ops.entry(value, tuple(i.value for i in index))

    def _power(self, node, base, exponent):
        if exponent.is_number:
            if not exponent.is_real:
                self.fail(node, "exponent is not a real number")
            if abs(exponent) > MAX_EXPONENT:
                self.fail(node, f"exponent is larger than {MAX_EXPONENT} in absolute value")
            if base.is_number and base != 0 and \
                    abs(exponent) * abs(sympy.log(abs(base), 10).evalf(5)) > MAX_DIGITS:
                self.fail(node, f"the number has more than {MAX_DIGITS} digits")
        return base ** exponent

    def _number(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "strings" if isinstance(value, str) else f"{type(value).__name__} constants"
            self.fail(node, f"{kind} are not allowed")
        if isinstance(value, int):
            if value.bit_length() > MAX_LITERAL_DIGITS * 3.33:
                self.fail(node, f"the number is written with more than {MAX_LITERAL_DIGITS} digits")
            return sympy.Integer(value)
        # A decimal literal means that decimal exactly: 0.1 is 1/10.
        literal = ast.get_source_segment(self.text, node) or repr(value)
        literal = literal.replace("_", "")
        mantissa, _, power = literal.lower().partition("e")
        if power and abs(int(power)) > MAX_DIGITS:
            self.fail(node, f"the number has more than {MAX_DIGITS} digits")
        if sum(c.isdigit() for c in mantissa) > MAX_LITERAL_DIGITS:
            self.fail(node, f"the number is written with more than {MAX_LITERAL_DIGITS} digits")
        try:
            return sympy.Rational(literal)
        except (TypeError, ValueError):
            self.fail(node, "not a finite number")

    def _name(self, node):
        name = node.id
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS or name in DATA_FUNCTIONS:
            self.fail(node, f"function '{name}' is used without arguments")
        if not name.isascii():
            self.fail(node, non_ascii(name))
        if not _NAME.match(name):
            self.fail(node, "names must start with a letter and hold only letters, digits and _")
        return symbol(name)

    def _call(self, node):
        if not isinstance(node.func, ast.Name):
            self.fail(node, "only calls of the allowed functions are allowed")
        name = node.func.id
        if node.keywords:
            self.fail(node, f"'{name}' takes no keyword arguments")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            self.fail(node, "starred arguments are not allowed")
        if name in DATA_FUNCTIONS:
            return self._data_call(node, name)
        if not name.isascii():
            self.fail(node, non_ascii(name))
        if name == "where":
            return self._where(node)
        if name in TENSOR_FUNCTIONS and self._has_tensors():
            return self._tensor_call(node, name)
        if name not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            tensor = f"; with 'shapes': {', '.join(sorted(TENSOR_FUNCTIONS))}"
            self.fail(node, f"unknown function '{name}' (allowed: {allowed}; sum and mean with "
                            f"data{tensor})")
        builder, arity = FUNCTIONS[name]
        args = [self.build(arg) for arg in node.args]
        if name == "logsumexp" and len(args) == 1 and isinstance(args[0], Tensor):
            return tensor_ops.logsumexp(args[0])
        if _has_tensor(*args):
            if arity is not None and len(args) != arity:
                self.fail(node, f"'{name}' takes exactly {arity} argument" + "s" * (arity != 1))
            return tensor_ops.elementwise(builder, *args)
        if arity is None and len(args) < 2:
            self.fail(node, f"'{name}' takes two or more arguments")
        if arity is not None and len(args) != arity:
            self.fail(node, f"'{name}' takes exactly {arity} argument" + "s" * (arity != 1))
        return builder(*args)

    def _tensor_call(self, node, name):
        function, arity = TENSOR_FUNCTIONS[name]
        if len(node.args) != arity:
            self.fail(node, f"'{name}' takes exactly {arity} argument" + "s" * (arity != 1))
        args = [self.build(arg) for arg in node.args]
        if not all(isinstance(a, Tensor) for a in args):
            self.fail(node, f"'{name}' needs tensor arguments (variables declared in 'shapes')")
        return function(*args)

    def _where(self, node):
        if len(node.args) != 3:
            self.fail(node, "'where' takes exactly 3 arguments: where(condition, a, b)")
        test = node.args[0]
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1
                and type(test.ops[0]) in _COMPARISONS):
            self.fail(test, "the first argument of 'where' must be one comparison "
                            "(<, <=, >, >=) between two expressions")
        relation = _COMPARISONS[type(test.ops[0])]
        left, right = self.build(test.left), self.build(test.comparators[0])
        a, b = self.build(node.args[1]), self.build(node.args[2])
        if _has_tensor(left, right, a, b):
            return tensor_ops.elementwise(lambda l, r, p, q: where(relation(l, r), p, q),
                                          left, right, a, b)
        return where(relation(left, right), a, b)

    def _data_call(self, node, name):
        if self.data is None:
            self.fail(node, f"'{name}' needs the case's 'data'")
        if len(node.args) != 1:
            self.fail(node, f"'{name}' takes exactly 1 argument")
        inner = self.build(node.args[0])
        if isinstance(inner, Tensor):
            self.fail(node, f"'{name}' sums over data rows and needs a scalar; sum_all and "
                            "mean_all reduce a tensor over its entries")
        if inner.has(DataSum):
            self.fail(node, f"'{name}' cannot be nested inside sum or mean")
        total = DataSum(inner)
        return total / self.data["rows"] if name == "mean" else total
