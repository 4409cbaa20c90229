"""PyTorch and JAX code in verify.check_gradient and ``implementation:``:
detection, float64 and float32 runs, the framework's own gradient, and a
deliberately wrong custom backward rule that must fail naming its entry.

Each framework test runs in a fresh interpreter: importing torch and jax maps
about 4.5 GB of address space, which every worker process forked later by
the same pytest process (other test files run case workers under a 4 GB
cap) would inherit and die of.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import verify
from verify.checks.case import run_case
from verify.core.run_options import RunOptions
from verify.checks.frameworks import detect
from verify.runner import load

EXPRESSION = "x**2*sin(y) + exp(x*y)"
AT = {"x": 1.5, "y": 0.3}


def _exact_gradient(x, y):  # written out independently of verify
    return (2 * x * math.sin(y) + y * math.exp(x * y), x**2 * math.cos(y) + x * math.exp(x * y))


def _by(table, method, quantity):
    (row,) = table[(table.method == method) & (table.quantity == quantity)].itertuples()
    return row


ROOT = Path(__file__).resolve().parents[1]


_RUNNER = """
import json, pathlib, sys, traceback
import tests.test_frameworks as t
outcomes = {}
for name, folder in zip(sys.argv[1::2], sys.argv[2::2]):
    try:
        getattr(t, name).body(pathlib.Path(folder))
        outcomes[name] = ""
    except BaseException:
        outcomes[name] = traceback.format_exc()[-3000:]
print(json.dumps(outcomes))
"""
_BODIES = {"torch": [], "jax": []}


@pytest.fixture(scope="module")
def _outcomes(tmp_path_factory):
    """Every body of one framework in one fresh interpreter (one import of
    torch, one of jax): {body name: traceback, or "" when it passed}."""
    found = {}
    for framework, names in _BODIES.items():
        if not names or importlib.util.find_spec(framework) is None:
            continue
        arguments = [a for n in names for a in (n, str(tmp_path_factory.mktemp(n)))]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
        done = subprocess.run([sys.executable, "-c", _RUNNER, *arguments], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        found.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return found


def _isolated(framework):
    """The decorated test's body runs in a fresh interpreter (see the module docstring)."""
    def decorate(body):
        _BODIES[framework].append(body.__name__)

        def test(_outcomes):
            if importlib.util.find_spec(framework) is None:
                pytest.skip(f"{framework} is not installed (pip install \"verify[{framework}]\")")
            assert _outcomes[body.__name__] == "", _outcomes[body.__name__]
        test.__name__ = body.__name__
        test.body = body  # not __wrapped__: pytest would read its signature
        return test
    return decorate


def test_numpy_code_is_detected_as_numpy():
    assert detect(lambda x, y: x**2 * np.sin(y)) == "numpy"
    assert detect(None, abs) == "numpy"


@_isolated("torch")
def test_torch_autograd_in_float64_and_float32(tmp_path):
    import torch
    f = lambda x, y: x**2 * torch.sin(y) + torch.exp(x * y)  # noqa: E731
    assert detect(f) == "torch"
    table = verify.check_gradient(f, "autograd", EXPRESSION, at=AT)
    for dtype, close in (("float64", 1e-14), ("float32", 1e-5)):
        # the exact side is evaluated at the point the code received, in its dtype
        wanted = _exact_gradient(*(float(np.dtype(dtype).type(v)) for v in AT.values()))
        for name, exact in zip("xy", wanted):
            row = _by(table, f"torch {dtype}", f"grad[{name}]")
            assert row.status == "pass"
            assert abs(row.exact - exact) <= 1e-14 * abs(exact)
            assert abs(row.numeric - exact) <= close * abs(exact)
    # float32 is judged with float32's unit roundoff: a far wider bound than float64's
    assert _by(table, "torch float32", "grad[x]").tolerance > \
        1e6 * _by(table, "torch float64", "grad[x]").tolerance


@_isolated("torch")
def test_tensor_inputs_reach_torch_code_in_their_dtype(tmp_path):
    """``tensors=True``: the gradient code receives torch tensors of the dtype asked for."""
    seen = []

    def torch_gradient(x, y):
        seen.append(x.dtype)
        return (2 * x * y.sin() + y * (x * y).exp(), x**2 * y.cos() + x * (x * y).exp())
    verify.check_gradient(None, torch_gradient, EXPRESSION, at=AT, tensors=True, dtype="float32")
    assert str(seen[0]) == "torch.float32"


def _wrong_torch_sin(torch):
    class WrongSin(torch.autograd.Function):
        """sin with the derivative's sign flipped: the bug to catch."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return -grad * torch.cos(x)
    return WrongSin.apply


@_isolated("torch")
def test_a_wrong_custom_autograd_function_fails_naming_the_entry(tmp_path):
    import torch
    wrong_sin = _wrong_torch_sin(torch)
    f = lambda x, y: x**2 * wrong_sin(y) + torch.exp(x * y)  # noqa: E731
    with pytest.raises(verify.VerificationFailed) as caught:
        verify.check_gradient(f, "autograd", EXPRESSION, at=AT)
    failed = caught.value.rows
    assert {(r.quantity, r.method) for r in failed} == {("grad[y]", "torch float64"),
                                                       ("grad[y]", "torch float32")}
    assert "component y of your gradient is wrong" in str(caught.value)
    x, y = AT["x"], AT["y"]
    assert abs(failed[0].numeric - (-x**2 * math.cos(y) + x * math.exp(x * y))) <= 1e-13


@_isolated("torch")
def test_torch_hand_written_gradient_with_vector_call(tmp_path):
    import torch

    def grad(v):
        x, y = v[0], v[1]
        return torch.stack([2 * x * torch.sin(y) + y * torch.exp(x * y),
                            x**2 * torch.cos(y) + x * torch.exp(x * y)])
    table = verify.check_gradient(None, grad, EXPRESSION, at=AT, dtype="float32")
    assert set(table.method) == {"torch float32"}
    assert (table.status == "pass").all()


@_isolated("jax")
def test_jax_autograd_and_a_wrong_custom_vjp(tmp_path):
    import jax
    jnp = jax.numpy

    @jax.custom_vjp
    def wrong_exp(z):
        return jnp.exp(z)

    def forward(z):
        return jnp.exp(z), z

    def backward(z, g):
        return (2 * g * jnp.exp(z),)  # off by a factor 2
    wrong_exp.defvjp(forward, backward)

    good = lambda x, y: x**2 * jnp.sin(y) + jnp.exp(x * y)  # noqa: E731
    assert detect(good) == "jax"
    table = verify.check_gradient(good, "autograd", EXPRESSION, at=AT)
    wanted = _exact_gradient(**AT)
    for name, exact in zip("xy", wanted):
        row = _by(table, "jax float64", f"grad[{name}]")
        assert row.status == "pass" and abs(row.numeric - exact) <= 1e-14 * abs(exact)
        assert _by(table, "jax float32", f"grad[{name}]").status == "pass"
    assert not jax.config.jax_enable_x64  # float64 ran in a context, the setting is untouched

    bad = lambda x, y: x**2 * jnp.sin(y) + wrong_exp(x * y)  # noqa: E731
    with pytest.raises(verify.VerificationFailed) as caught:
        verify.check_gradient(bad, "autograd", EXPRESSION, at=AT)
    assert {(r.quantity, r.method) for r in caught.value.rows} == {
        (q, f"jax {d}") for q in ("grad[x]", "grad[y]") for d in ("float64", "float32")}
    x, y = AT["x"], AT["y"]
    row = next(r for r in caught.value.rows if r.quantity == "grad[x]")
    assert abs(row.numeric - (2 * x * math.sin(y) + 2 * y * math.exp(x * y))) <= 1e-13


MODULE = """
import torch

def loss(x, y):
    return x**2 * torch.sin(y) + torch.exp(x * y)

def grad(x, y):
    return (2 * x * torch.sin(y) + y * torch.exp(x * y), x**2 * torch.sin(y) + x * torch.exp(x * y))
"""


@_isolated("torch")
def test_implementation_with_torch_code_runs_both_dtypes(tmp_path):
    (tmp_path / "torch_user_code.py").write_text(MODULE)
    (tmp_path / "case.yaml").write_text(textwrap.dedent("""
        name: torch_code
        function: x**2*sin(y) + exp(x*y)
        at: {x: 1.5, y: 0.3}
        checks: []
        implementation: {value: "torch_user_code:loss", gradient: "torch_user_code:grad"}
        """))
    try:
        (case,) = load([tmp_path / "case.yaml"]).cases
        rows = run_case(case, RunOptions(allow_import=True, timeout=0)).results
    finally:
        sys.modules.pop("torch_user_code", None)
    status = {(r.quantity, r.method): r.status.value for r in rows}
    for dtype in ("float64", "float32"):
        assert status[("value", f"torch {dtype}")] == "pass"
        assert status[("grad[x]", f"torch {dtype}")] == "pass"
        assert status[("grad[y]", f"torch {dtype}")] == "fail"  # sin written for cos
        assert status[("grad[y]", f"central {dtype}")] == "pass"
