"""PyTorch and JAX code at the edge: which framework a function is written
for, numbers as its tensors, and its own automatic gradient.

Nothing here imports torch or jax unless the user's code already did (the
detection only looks at modules in ``sys.modules``), so NumPy users never
pay for them. JAX runs float64 only inside ``jax.enable_x64(True)``; that
context is entered around every call, so the user's global setting is left
as it was.
"""
from __future__ import annotations

import contextlib
import sys
import types

import numpy as np

FRAMEWORKS = ("numpy", "torch", "jax")


def detect(*functions) -> str:
    """"torch", "jax" or "numpy": the first framework any of ``functions`` uses
    (its module, the modules its code names, its closure, what it wraps)."""
    for function in functions:
        found = _framework_of(function, depth=0)
        if found:
            return found
    return "numpy"


def _root(name) -> str | None:
    head = str(name or "").split(".", 1)[0]
    return head if head in ("torch", "jax", "jaxlib") and head in sys.modules else None


def _framework_of(obj, depth) -> str | None:
    if obj is None or depth > 3:
        return None
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, (torch.nn.Module, torch.Tensor)):
        return "torch"
    if isinstance(obj, types.ModuleType):
        root = _root(obj.__name__)
        return "jax" if root == "jaxlib" else root
    for candidate in (type(obj).__module__, getattr(obj, "__module__", None)):
        root = _root(candidate)
        if root:
            return "jax" if root == "jaxlib" else root
    found = _framework_of(getattr(obj, "__wrapped__", None), depth + 1) \
        or _framework_of(getattr(obj, "__self__", None) if not isinstance(
            getattr(obj, "__self__", None), types.ModuleType) else None, depth + 1)
    if found:
        return found
    code = getattr(obj, "__code__", None)
    if code is None:
        return None
    scope = getattr(obj, "__globals__", {})
    names = set(code.co_names)
    for const in code.co_consts:  # nested functions and lambdas
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    values = [scope[n] for n in sorted(names) if n in scope]
    values += [cell.cell_contents for cell in (getattr(obj, "__closure__", None) or ())
               if _filled(cell)]
    for value in values:
        found = (_framework_of(value, depth + 1)
                 if isinstance(value, (types.ModuleType, type)) or callable(value) else None)
        if found:
            return found
    return None


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True


def precision(framework, dtype):
    """The context a call of ``framework`` code in ``dtype`` runs in."""
    if framework == "jax" and np.dtype(dtype) == np.float64:
        import jax
        return jax.enable_x64(True)
    return contextlib.nullcontext()


def as_tensor(framework, number):
    """A NumPy scalar (of the case's dtype) as a 0-d tensor of that dtype."""
    array = np.asarray(number)
    if framework == "torch":
        import torch
        return torch.as_tensor(array)
    if framework == "jax":
        import jax.numpy as jnp
        return jnp.asarray(array, dtype=array.dtype)
    return number


def stack(framework, tensors):
    if framework == "torch":
        import torch
        return torch.stack(tensors)
    if framework == "jax":
        import jax.numpy as jnp
        return jnp.stack(tensors)
    return np.array(tensors)


def autograd(framework, call, arguments):
    """The framework's own gradient of ``call(*arguments)`` (a scalar) with
    respect to every argument: torch.autograd.grad, or jax.grad."""
    if framework == "torch":
        import torch
        leaves = [a.detach().clone().requires_grad_(True) for a in arguments]
        out = call(*leaves)
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise ValueError("the value function must return a tensor with one number "
                             "for its autograd gradient")
        return [g if g is not None else torch.zeros_like(a)
                for g, a in zip(torch.autograd.grad(out.reshape(()), leaves,
                                                    allow_unused=True), leaves)]
    if framework == "jax":
        import jax
        return list(jax.grad(lambda *xs: call(*xs).reshape(()),
                             argnums=tuple(range(len(arguments))))(*arguments))
    raise ValueError("the gradient 'autograd' needs a PyTorch or JAX value function "
                     "(framework 'torch' or 'jax')")
