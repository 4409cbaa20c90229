"""The user's own code at the edge: importing it, calling it, converting what it returns.

``implementation:`` names code as ``"module:callable"``, imported with the
case file's folder first on ``sys.path`` (only under ``--allow-import``,
which :mod:`verify.checks.implementation` checks). A function is called with the
point's variables as keyword arguments, as positional arguments, or as one
array, in the case's dtype (NumPy numbers, or PyTorch tensors when asked);
what it returns, numbers, arrays or tensors, becomes NumPy here. Any
exception of the user's code becomes an :class:`ImplementationError` that
names the call, so the comparison reports it as an ``error`` row.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np

CALLS = ("keywords", "positional", "vector")


class ImplementationError(ValueError):
    """The user's code could not be imported or called as CASES.md says."""


def load_callable(target: str, folder) -> object:
    """``"module:callable"`` imported with ``folder`` first on ``sys.path``."""
    module_name, _, attribute = target.partition(":")
    folder = str(Path(folder).resolve())
    sys.path.insert(0, folder)
    try:
        importlib.invalidate_caches()  # a module written after start-up is found too
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported, not raised
        raise ImplementationError(f"cannot import '{module_name}' (looked in {folder} first): "
                                  f"{type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(folder)
    _same_module(module, module_name, folder)
    function = getattr(module, attribute, None)
    if not callable(function):
        raise ImplementationError(f"'{module_name}' has no callable '{attribute}'")
    return function


def _same_module(module, module_name, folder):
    """Refuse a module of the same name imported earlier from another folder."""
    candidate = Path(folder, *module_name.split("."))
    local = [p for p in (candidate.with_suffix(".py"), candidate / "__init__.py") if p.exists()]
    loaded = getattr(module, "__file__", None)
    if local and loaded and Path(loaded).resolve() != local[0].resolve():
        raise ImplementationError(f"a different module '{module_name}' is already imported "
                                  f"(from {loaded}); rename one of them")


class Caller:
    """Calls one user function with a point (NumPy numbers of the case's dtype, or
    tensors of it), and converts what comes back."""

    def __init__(self, function, variables, call, tensors):
        self.function, self.variables, self.call, self.tensors = function, variables, call, tensors
        if tensors:
            try:
                import torch  # optional: only for tensors=True
            except ImportError:
                raise ImportError("`tensors=True` needs PyTorch, which is not installed.") from None
            self.torch = torch

    def _arguments(self, point):
        numbers = list(point)  # NumPy scalars of the dtype already
        if self.tensors:
            numbers = [self.torch.as_tensor(np.asarray(x)) for x in numbers]
        if self.call == "vector":
            vector = np.array(numbers) if not self.tensors else self.torch.stack(numbers)
            return (vector,), {}
        if self.call == "positional":
            return tuple(numbers), {}
        return (), dict(zip(self.variables, numbers))

    def _invoke(self, point):
        args, kwargs = self._arguments(point)
        shown = ", ".join(f"{v}={float(np.real(x))!r}" for v, x in zip(self.variables, point))
        try:
            return self.function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the user's code failing is a result
            raise ImplementationError(f"raised {type(exc).__name__}: {exc} (at {shown})") from None

    def scalar(self, point):
        out = to_numpy(self._invoke(point))
        if out.size != 1:
            raise ImplementationError(f"returned {out.size} numbers, expected one")
        return out.reshape(())[()]

    def vector(self, point):
        out = self._invoke(point)
        if isinstance(out, dict):
            missing = [v for v in self.variables if v not in out]
            if missing:
                raise ImplementationError(f"returned no component '{missing[0]}' "
                                          f"(keys: {', '.join(map(str, out))})")
            out = [out[v] for v in self.variables]
        parts = out if isinstance(out, (list, tuple)) else [out]  # one number or one array
        flat = np.concatenate([to_numpy(x).reshape(-1) for x in parts]) if parts else np.array([])
        if flat.size != len(self.variables):
            names = ", ".join(self.variables)
            raise ImplementationError(f"returned {flat.size} components; the case has "
                                      f"{len(self.variables)} variables ({names})")
        return [float(x) for x in flat]


def to_numpy(value) -> np.ndarray:
    """A NumPy array from a number, an array or a PyTorch tensor (converted at the edge)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
