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

from verify.checks import frameworks
from verify.checks.frameworks import FRAMEWORKS

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
    PyTorch or JAX tensors of it), and converts what comes back.

    ``framework`` is "numpy", "torch" or "jax" (``tensors=True`` is "torch");
    ``autograd_of``, a value Caller, makes this the framework's own gradient
    of that value function instead of a function of the user's."""

    def __init__(self, function, variables, call, tensors=False, framework=None,
                 autograd_of=None):
        self.function, self.variables, self.call = function, variables, call
        self.framework = "torch" if tensors else (framework or "numpy")
        self.autograd_of = autograd_of
        if self.framework not in FRAMEWORKS:
            raise ValueError(f"`framework` must be one of {', '.join(FRAMEWORKS)}, "
                             f"got {self.framework!r}.")
        if self.framework != "numpy":
            try:
                importlib.import_module(self.framework)
            except ImportError:
                extra = "torch" if self.framework == "torch" else "jax"
                raise ImportError(f"{self.framework} code needs {self.framework}, which is not "
                                  f"installed (pip install \"verify[{extra}]\").") from None

    def _tensors(self, point):
        return [frameworks.as_tensor(self.framework, x) for x in point]

    def _arguments(self, point):
        numbers = self._tensors(point)  # NumPy scalars of the dtype, or tensors of it
        if self.call == "vector":
            return (frameworks.stack(self.framework, numbers),), {}
        if self.call == "positional":
            return tuple(numbers), {}
        return (), dict(zip(self.variables, numbers))

    def _invoke(self, point):
        shown = ", ".join(f"{v}={float(np.real(x))!r}" for v, x in zip(self.variables, point))
        dtype = np.asarray(point[0]).dtype if len(point) else np.float64
        try:
            with frameworks.precision(self.framework, dtype):
                if self.autograd_of is not None:
                    return self._autograd(point)
                args, kwargs = self._arguments(point)
                return to_numpy(self.function(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the user's code failing is a result
            raise ImplementationError(f"raised {type(exc).__name__}: {exc} (at {shown})") from None

    def _autograd(self, point):
        value = self.autograd_of
        numbers = self._tensors(point)
        if value.call == "vector":
            (vector,) = frameworks.autograd(
                self.framework, lambda v: value.function(v), [frameworks.stack(self.framework, numbers)])
            return [to_numpy(vector)]
        if value.call == "positional":
            call = value.function
        else:
            def call(*xs):
                return value.function(**dict(zip(self.variables, xs)))
        return [to_numpy(g) for g in frameworks.autograd(self.framework, call, numbers)]

    def scalar(self, point):
        out = np.asarray(self._invoke(point))
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


def to_numpy(value):
    """NumPy from a number, an array, a PyTorch or JAX tensor (converted at the edge);
    a mapping, list or tuple keeps its shape with its entries converted."""
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
