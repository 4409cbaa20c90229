"""The Python API: the CLI's runner, called from a notebook or a test.

Every function returns the rows of results.csv as a pandas DataFrame (a
table in a notebook) and, asked to assert, raises
:class:`~verify.report.failures.VerificationFailed` whose message lists the failed
rows. The rule for the default (docs/python-and-pytest.md): the function
meant for tests, :func:`check_gradient`, asserts unless told not to;
:func:`run` and :func:`check`, which return a table to read, assert only
when asked. Importing :mod:`verify` stays light: SymPy, NumPy and pandas load
when a function here is called.
"""
from __future__ import annotations

import inspect
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from verify.core.result import is_load_error, rows_of
from verify.core.run_options import RunOptions
from verify.core.status import status_of
from verify.report.failures import VerificationFailed, bad_rows

__all__ = ["run", "check", "check_gradient"]


def run(paths, *, select=None, jobs=1, timeout=0.0, allow_import=False,
        allow_outside_data=False, out=None, assert_ok=False):
    """Run case files (as ``python -m verify PATHS``) and return their results.

    Parameters
    ----------
    paths : str, path or list of them
        Case files and folders (searched recursively for ``*.yaml``, ``*.yml``).
    select : str, optional
        Only the cases whose id contains this text (the CLI's ``-k``).
    jobs : int
        Worker processes; 1 (default) with ``timeout=0`` runs in this process.
    timeout : float
        Seconds per case; 0 means no limit.
    allow_import, allow_outside_data : bool
        As the CLI's ``--allow-import`` and ``--allow-outside-data``.
    out : str or path, optional
        Also write the report set (results.csv, report.html, ...) there.
    assert_ok : bool
        Raise :class:`VerificationFailed` when a row failed or is an error.

    Returns
    -------
    pandas.DataFrame
        One row per comparison, the columns of results.csv.

    Examples
    --------
    >>> import pathlib, tempfile, verify
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "lab.yaml").write_text(
    ...     "cases: [{name: chain, function: sin(x**2), at: {x: 1.5}, checks: [derivative]}]")
    >>> table = verify.run(folder)
    >>> sorted(set(table.method)), table.attrs["status"]
    (['backward', 'central', 'central4', 'complex_step', 'forward', 'richardson'], 'pass')
    """
    from verify.report import write_reports  # pandas and matplotlib: only when called
    from verify.runner import load, run_all
    if jobs < 1:
        raise ValueError("`jobs` must be at least 1.")
    if timeout < 0:
        raise ValueError("`timeout` must be non-negative.")
    paths = [paths] if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__") else paths
    options = RunOptions(allow_import=allow_import, allow_outside_data=allow_outside_data,
                         timeout=timeout)
    entries = list(run_all(load(paths, options).select(select), options, jobs=jobs))
    results = [r for entry in entries for r in rows_of(entry)]
    if out is not None:
        write_reports(out, results, [entry for entry in entries if not is_load_error(entry)],
                      meta={"paths": [str(p) for p in paths]})
    return _finish(results, assert_ok, f"verify.run({', '.join(map(str, paths))})")


def check(function=None, *, at=None, checks=None, expect=None, graph=None, points=None,
          variables=None, parameters=None, tolerance=None, data=None, dtype="float64",
          implementation=None, name="check", description=None, allow_import=False,
          assert_ok=False):
    """Run one case given in Python; the keywords are the case keys of CASES.md.

    Numbers may be Python numbers (``0.1`` means the decimal 0.1, as in a case
    file) or strings holding exact numbers (``"pi/4"``, ``"1/3"``).

    Parameters
    ----------
    function : str
        The expression, e.g. ``"exp(sin(x**2))"`` (or give ``graph``).
    at : mapping, optional
        One point ``{variable: value}`` (or give ``points``, a list of them).
    checks : list or mapping, optional
        Check names, or ``{check: options}``; default as in a case file.
    expect : mapping, optional
        Hand-written values (``value``, ``derivative``, ``gradient``, ...).
    assert_ok : bool
        Raise :class:`VerificationFailed`, listing the failing rows, when a
        comparison failed or could not run.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import verify
    >>> table = verify.check("sin(x**2)", at={"x": 1.5}, checks=["derivative"],
    ...                      expect={"derivative": "3*cos(9/4)"}, assert_ok=True)
    >>> table.attrs["status"]
    'pass'
    """
    from verify.checks.case import run_case  # SymPy: only when called
    keys = dict(name=name, description=description, function=function, graph=graph,
                variables=variables, parameters=parameters, at=at, points=points,
                checks=checks, expect=expect, tolerance=tolerance, data=data,
                implementation=implementation, dtype=dtype)
    case = build(keys, "verify.check")
    outcome = run_case(case, RunOptions(allow_import=allow_import, timeout=0.0))
    return _finish(_unlocated(outcome.results), assert_ok, f"verify.check({function or 'graph'})")


def check_gradient(fn, grad, expression, at, *, variables=None, parameters=None,
                   dtype=None, methods=("central",), rtol=None, atol=None, call=None,
                   tensors=False, framework=None, assert_ok=True):
    """Check your own value and gradient code against exact mathematics.

    ``fn`` and ``grad`` are compared with the exact value and the exact
    partial derivatives of ``expression`` at each point, and finite
    differences of ``fn`` with the exact gradient, so a failure says which
    component is wrong, by how much, and whether the value code agrees.

    Parameters
    ----------
    fn : callable or None
        Your value function.
    grad : callable, "autograd" or None
        Your gradient: returns a mapping ``{variable: number}``, or a sequence
        or array in ``variables`` order. NumPy numbers and arrays, PyTorch
        and JAX tensors (converted at the edge) and Python floats are
        accepted. ``"autograd"``: the framework's own gradient of ``fn``
        (``torch.autograd.grad``, ``jax.grad``), so a custom backward rule
        (``torch.autograd.Function``, ``jax.custom_vjp``) is what is checked.
    expression : str
        The mathematics ``fn`` implements, in case-file syntax, e.g. ``"x**2*sin(y)"``.
    at : mapping or list of mappings
        The point(s), ``{variable: value}``.
    variables : list of str, optional
        The variables in order; default: the keys of ``at`` in order.
    parameters : mapping, optional
        Symbols of ``expression`` held constant (your code has them built in).
    dtype : {"float64", "float32"} or a list of them, optional
        Your code is called with numbers of this dtype, and the bounds scale
        with its unit roundoff. Default: float64 for NumPy code; float64 and
        float32 for PyTorch and JAX code (each row's method names the dtype).
    methods : sequence of str
        Finite-difference methods applied to ``fn``.
    rtol, atol : float, optional
        A tolerance |yours - exact| <= atol + rtol |exact| replacing the bounds.
    call : {"keywords", "positional", "vector"}, optional
        ``fn(x=.., y=..)``, ``fn(x, y)`` or ``fn(array([x, y]))``; default, for
        each function: keywords when its signature names every variable,
        positional when it takes one argument per variable, vector when it takes one.
    tensors : bool
        Pass PyTorch tensors instead of NumPy numbers (``framework="torch"``).
    framework : {"numpy", "torch", "jax"}, optional
        How ``fn`` and ``grad`` take their numbers: NumPy numbers, or 0-d
        tensors (arrays for ``call="vector"``) of the dtype. Default:
        detected from the modules the functions use.
    assert_ok : bool
        Raise :class:`VerificationFailed` naming the wrong components (default).

    Returns
    -------
    pandas.DataFrame
        One row per comparison, the columns of results.csv.

    Examples
    --------
    >>> import numpy as np, verify
    >>> f = lambda x, y: x**2 * np.sin(y)
    >>> g = lambda x, y: (2*x*np.sin(y), x**2*np.cos(y))
    >>> table = verify.check_gradient(f, g, "x**2*sin(y)", at={"x": 1.5, "y": 0.3})
    >>> table[["quantity", "method", "status"]].values.tolist()[:2]
    [['value', 'implementation', 'pass'], ['grad[x]', 'implementation', 'pass']]
    """
    # SymPy loads only when called
    from verify.checks.frameworks import FRAMEWORKS, detect
    from verify.checks.implementation import compare_in_dtypes
    if fn is None and grad is None:
        raise ValueError("give `fn`, `grad` or both.")
    point_list = [at] if isinstance(at, dict) else list(at)
    if not point_list or not all(isinstance(p, dict) for p in point_list):
        raise ValueError("`at` must be a mapping {variable: value} or a list of them.")
    variables = list(variables) if variables is not None else list(point_list[0])
    tolerance = None
    if rtol is not None or atol is not None:
        tolerance = {k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None}
    if framework is not None and framework not in FRAMEWORKS:
        raise ValueError(f"`framework` must be one of {', '.join(FRAMEWORKS)}, got {framework!r}.")
    framework = "torch" if tensors else framework or detect(fn, None if isinstance(grad, str)
                                                           else grad)
    dtypes = ([dtype] if isinstance(dtype, str) else list(dtype)) if dtype is not None else \
        ["float64"] if framework == "numpy" else ["float64", "float32"]
    case = build(dict(name="check_gradient", function=expression, variables=variables,
                      parameters=parameters, points=point_list, checks=[], tolerance=tolerance,
                      dtype=dtypes[0]), "verify.check_gradient")
    for other in dtypes[1:]:  # validated as the case's dtype is
        build(dict(name="check_gradient", function=expression, variables=variables,
                   parameters=parameters, points=point_list, checks=[], dtype=other),
              "verify.check_gradient")
    style = call or (_call_style(fn, case.variables),
                     _call_style(None if isinstance(grad, str) else grad, case.variables))
    rows = compare_in_dtypes(case, tuple(dtypes), value=fn, gradient=grad, call=style,
                             framework=framework, methods=tuple(methods))
    return _finish(_unlocated(rows), assert_ok, f"verify.check_gradient({expression})")


def _unlocated(rows):
    """Rows of a case given in Python: their lines are of generated text, so none."""
    return [replace(row, line=0) for row in rows]


def build(keys: dict, who: str):
    """A :class:`~verify.input.cases.Case` from case keys given in Python (None: absent)."""
    import yaml  # PyYAML, SymPy: only when called, so `import verify` stays fast

    from verify.input.cases import build_case
    from verify.input.loading import CaseError, Source
    mapping = {key: _plain(value) for key, value in keys.items() if value is not None}
    # Through YAML text, so a case given in Python is validated exactly like a case file.
    node = yaml.compose(yaml.safe_dump(mapping, sort_keys=False), Loader=yaml.SafeLoader)
    source = Source(file=who, group=who, folder=Path.cwd())
    try:
        return build_case(node, source, allow_outside_data=True)
    except CaseError as exc:  # the line is of the generated text: leave it out
        raise ValueError(CaseError(exc.what, file=who, key=exc.key).render()) from None


def _plain(value):
    """Python and NumPy values as plain YAML data (numbers keep their repr)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if hasattr(value, "tolist"):  # NumPy scalars and arrays, PyTorch tensors
        return _plain(value.tolist())
    return str(value)  # e.g. a SymPy number: its text is an exact number


def _call_style(function, variables) -> str:
    """keywords when the signature names every variable, positional when it takes
    one argument per variable, vector when it takes one array."""
    if function is None:
        return "keywords"
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # e.g. a NumPy ufunc: arguments by position
        return "positional"
    kinds = {p.kind for p in parameters}
    named = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is p.empty]
    if set(variables) <= named or inspect.Parameter.VAR_KEYWORD in kinds:
        return "keywords"
    if len(required) == len(variables) or inspect.Parameter.VAR_POSITIONAL in kinds:
        return "positional"
    return "vector" if len(required) == 1 else "keywords"


def _finish(results, assert_ok, title):
    from verify.report.tables import results_frame  # pandas: only when called
    failed = bad_rows(results)
    if assert_ok and failed:
        raise VerificationFailed(f"{title}: {len(failed)} of {len(results)} comparisons "
                                 "failed or could not run", failed)
    frame = results_frame(results)
    frame.attrs["status"] = str(status_of(results) or "skip")  # the roll-up of verify.core.status
    return frame
