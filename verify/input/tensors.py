"""Tensor variables (CASES.md v1.1, ``shapes:``): vectors and matrices of SymPy scalars.

A tensor variable ``W`` of shape ``[2, 3]`` stands for the scalar symbols
``W[0,0]`` ... ``W[1,2]``. Their names hold brackets and a comma, which no
name the parser accepts can hold, so they never collide with a case's own
symbols. Every operation below works entry by entry on those scalars, so a
case's function, once it reduces to a scalar, is an ordinary SymPy
expression and every engine (exact, finite differences, backprop, bounds)
runs on it unchanged.
"""
from __future__ import annotations

import re

import numpy as np
import sympy

MAX_ENTRIES = 4_096  # scalar entries of all tensor variables of one case
MAX_RANK = 2

_ENTRY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\[(\d+(?:,\d+)*)\]\Z")


class TensorError(ValueError):
    """A tensor operation on operands of the wrong shape, with the reason."""


def entry_name(name: str, index: tuple[int, ...]) -> str:
    """The scalar symbol's name for one entry: ``W[1,2]`` (indices from 0)."""
    return f"{name}[{','.join(str(i) for i in index)}]"


def split_entry(name: str):
    """``("W", (1, 2))`` for ``"W[1,2]"``; None for a plain name."""
    match = _ENTRY.match(name)
    if not match:
        return None
    return match.group(1), tuple(int(i) for i in match.group(2).split(","))


def indices(shape) -> list[tuple[int, ...]]:
    """Every index of ``shape`` in row-major order."""
    return [tuple(int(i) for i in index) for index in np.ndindex(*shape)]


def entry_names(name: str, shape) -> list[str]:
    return [entry_name(name, index) for index in indices(shape)]


class Tensor:
    """A vector or matrix of SymPy expressions (a NumPy object array)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = np.asarray(array, dtype=object)

    @classmethod
    def of_symbols(cls, name, shape, make_symbol):
        array = np.empty(tuple(shape), dtype=object)
        for index in indices(shape):
            array[index] = make_symbol(entry_name(name, index))
        return cls(array)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    def __repr__(self):
        return f"Tensor(shape={list(self.shape)})"


def _array(value):
    return value.array if isinstance(value, Tensor) else value


def _wrap(result):
    """A 0-d result is a scalar again; anything else stays a tensor."""
    array = np.asarray(result, dtype=object)
    return array.item() if array.ndim == 0 else Tensor(array)


def elementwise(operation, *operands):
    """``operation`` entry by entry, a scalar operand broadcast to every entry.

    Two tensors must have one shape: NumPy's wider broadcasting (a row
    against a column) would silently build an outer product.
    """
    shapes = {o.shape for o in operands if isinstance(o, Tensor)}
    if len(shapes) > 1:
        raise TensorError("elementwise operands have different shapes "
                          + " and ".join(str(list(s)) for s in sorted(shapes)))
    function = np.frompyfunc(operation, len(operands), 1)
    return _wrap(function(*(_array(o) for o in operands)))


def matmul(a, b):
    """The matrix product of two vectors or matrices (``a @ b``)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        raise TensorError("matrix product needs two tensors (use * for a scalar)")
    if a.shape[-1] != b.shape[0]:
        raise TensorError(f"matrix product of shapes {list(a.shape)} and {list(b.shape)}: "
                          f"{a.shape[-1]} columns against {b.shape[0]} rows")
    left, right = a.array, b.array
    rows = left.reshape(1, -1) if left.ndim == 1 else left
    columns = right.reshape(-1, 1) if right.ndim == 1 else right
    product = np.empty((rows.shape[0], columns.shape[1]), dtype=object)
    for i in range(rows.shape[0]):
        for j in range(columns.shape[1]):
            product[i, j] = sympy.Add(*[rows[i, k] * columns[k, j] for k in range(rows.shape[1])])
    shape = a.shape[:-1] + b.shape[1:]
    return _wrap(product.reshape(shape))


def transpose(a):
    if not isinstance(a, Tensor):
        raise TensorError("transpose needs a tensor")
    if len(a.shape) == 1:  # a vector has one orientation: its transpose is itself
        return a
    return Tensor(a.array.T)


def sum_all(a):
    return sympy.Add(*_vector(a, "sum_all").tolist())


def mean_all(a):
    entries = _vector(a, "mean_all")
    return sympy.Add(*entries.tolist()) / len(entries)


def dot(a, b):
    left, right = _vector(a, "dot"), _vector(b, "dot")
    if len(left) != len(right) or a.shape != b.shape:
        raise TensorError(f"dot of shapes {list(a.shape)} and {list(b.shape)}")
    return sympy.Add(*[x * y for x, y in zip(left, right)])


def logsumexp(a):
    """log(sum(exp(z_i))) over every entry."""
    return sympy.log(sympy.Add(*[sympy.exp(z) for z in _vector(a, "logsumexp")]))


def softmax(a):
    """exp(z_i) / sum_j exp(z_j) over a vector."""
    entries = _one_dimensional(a, "softmax")
    total = sympy.Add(*[sympy.exp(z) for z in entries])
    return Tensor([sympy.exp(z) / total for z in entries])


def log_softmax(a):
    """z_i - logsumexp(z) over a vector."""
    entries = _one_dimensional(a, "log_softmax")
    total = logsumexp(a)
    return Tensor([z - total for z in entries])


def _vector(a, name):
    """Every entry of a tensor, row-major."""
    if not isinstance(a, Tensor):
        raise TensorError(f"'{name}' needs a tensor argument")
    return a.array.reshape(-1)


def _one_dimensional(a, name):
    if not isinstance(a, Tensor) or len(a.shape) != 1:
        shape = list(a.shape) if isinstance(a, Tensor) else "a scalar"
        raise TensorError(f"'{name}' needs a vector, got shape {shape}")
    return list(a.array)


def entry(a, index: tuple[int, ...]):
    """One entry (or one row of a matrix), indices from 0."""
    if not isinstance(a, Tensor):
        raise TensorError("only a tensor can be indexed")
    if len(index) > len(a.shape):
        raise TensorError(f"{len(index)} indices for a tensor of shape {list(a.shape)}")
    for i, size in zip(index, a.shape):
        if not 0 <= i < size:
            raise TensorError(f"index {i} is out of range for shape {list(a.shape)} "
                              "(indices start at 0)")
    return _wrap(a.array[index])


# name -> (function, number of tensor arguments): the calls that take tensors
TENSOR_FUNCTIONS = {
    "matmul": (matmul, 2), "transpose": (transpose, 1), "T": (transpose, 1),
    "sum_all": (sum_all, 1), "mean_all": (mean_all, 1), "dot": (dot, 2),
    "softmax": (softmax, 1), "log_softmax": (log_softmax, 1),
}
