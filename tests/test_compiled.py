"""Compiled callables (verify/exact/compiled.py): argument renaming."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy

from verify.exact.compiled import Compiled
from verify.input.expressions import parse, symbol


def test_names_that_shadow_modules_or_hold_brackets_compile():
    names = ("numpy", "exp", "W[0,1]", "mpmath")
    expr = sympy.exp(symbol("numpy")) * symbol("exp") + symbol("W[0,1]") ** 2 - symbol("mpmath")
    fn = Compiled(expr, names)
    expected = np.exp(0.5) * 2.0 + 9.0 - 1.0
    assert float(fn.mp(mpmath.mpf("0.5"), 2, 3, 1)) == pytest.approx(expected, rel=1e-15)
    assert float(fn.numpy(np.float64(0.5), 2.0, 3.0, 1.0)) == pytest.approx(expected, rel=1e-15)


def test_many_arguments_compile_in_one_renaming_pass(monkeypatch):
    """A tensor case has hundreds of entry symbols; lambdify's own dummify
    renamed them one pass each (quadratic: seconds here), so the renaming is
    done before lambdify, which is never asked to dummify."""
    asked = []
    real = sympy.lambdify
    monkeypatch.setattr(sympy, "lambdify", lambda *a, **k: asked.append(k.get("dummify")) or real(*a, **k))
    names = [f"W[{i},{j}]" for i in range(20) for j in range(20)]
    expr = sympy.log(sympy.Add(*[sympy.exp(symbol(n) * (k % 7)) for k, n in enumerate(names)]))
    fn = Compiled(expr, names)
    assert float(fn.numpy(*[np.float64(0.0)] * len(names))) == pytest.approx(np.log(400))
    assert asked and not any(asked)


def test_a_variable_named_like_a_function_still_computes_the_right_value():
    expr = (
        symbol("exp") * parse("sin(x)").subs(symbol("x"), symbol("exp")) + symbol("numpy") ** 2)
    compiled = Compiled(expr, ("exp", "numpy"))
    assert compiled.numpy(0.5, 2.0) == math.sin(0.5) * 0.5 + 4.0
    with mpmath.workdps(30):
        assert abs(compiled.mp(mpmath.mpf("0.5"), mpmath.mpf(2)) - (mpmath.sin(0.5) * 0.5 + 4)) \
            < mpmath.mpf(10) ** -28


def test_compiling_does_not_rebuild_the_tree(monkeypatch):
    """Renaming the arguments by substitution re-evaluated every node through
    SymPy's assumptions (three quarters of the compile time); the printer
    names them instead, and the values are lambdify's own."""
    expr = parse("exp(sin(exp(cos(tanh(x**3 + sin(x)))))) + log(1 + x**2)/3")
    reference = sympy.lambdify((symbol("x"),), expr, modules=["scipy", "numpy"])
    monkeypatch.setattr(sympy.Basic, "xreplace",
                        lambda *a, **k: pytest.fail("the tree was rebuilt to rename x"))
    fn = Compiled(expr, ("x",))
    points = np.linspace(-2.0, 2.0, 9)
    assert np.array_equal(fn.numpy(points), reference(points))  # bit for bit
    assert fn.numpy(points + 1e-20j).imag[3] != 0.0
    with mpmath.workdps(30):
        assert abs(fn.mp(mpmath.mpf("0.5")) - mpmath.exp(mpmath.sin(mpmath.exp(mpmath.cos(
            mpmath.tanh(mpmath.mpf("0.125") + mpmath.sin(0.5)))))) - mpmath.log(1.25) / 3) \
            < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("at_zero", [None, 0, 1])
def test_heaviside_is_printed_as_a_call_in_the_mpmath_backend(at_zero):
    """SymPy's mpmath printer rewrites Heaviside (the derivative of Max, Min,
    relu) as a Piecewise and solves its inequality, minutes on a nested
    derivative; ours prints a call. Values match NumPy's on both sides and at 0."""
    import inspect
    x = symbol("x")
    e = sympy.Heaviside(x) if at_zero is None else sympy.Heaviside(x, at_zero)
    compiled = Compiled(e * sympy.exp(x), ("x",), ())
    assert "mpmath_heaviside" in inspect.getsource(compiled._outer_fn("mpmath"))
    for v in (-1.5, 0.0, 2.0):
        assert float(compiled.mp(mpmath.mpf(v))) == float(compiled.numpy(v))
    assert float(compiled.mp(mpmath.mpf(0))) == (0.5 if at_zero is None else at_zero)


def test_names_compiled_without_scipy_are_not_scipy_specials():
    """NumPy alone compiles a text whose names are all NUMPY_ONLY_NAMES: that is
    only the same function as lambdify's SciPy-first namespace would give when
    scipy.special defines none of them."""
    from verify.exact.compiled import NUMPY_ONLY_NAMES
    specials = {}
    exec("from scipy.special import *", specials)  # noqa: S102 - a fixed import, no case text
    assert not NUMPY_ONLY_NAMES & set(specials)


def test_a_function_without_erf_compiles_without_importing_scipy_and_erf_with_it():
    import subprocess
    import sys
    code = ("import sys, numpy as np\n"
            "from verify.exact.compiled import Compiled\n"
            "from verify.input.expressions import parse\n"
            "f = Compiled(parse('log(exp(a) + exp(b)) - Max(a, 0)*abs(b) + tanh(a*b)'), ('a', 'b'))\n"
            "print(f.numpy(np.array([0.5]), np.array([-1.5]))[0], 'scipy' in sys.modules)\n"
            "g = Compiled(parse('erf(a)'), ('a',))\n"
            "print(repr(g.numpy(np.array([0.5]))[0]), 'scipy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    value, imported = out[0].split()
    assert float(value) == pytest.approx(math.log(math.exp(0.5) + math.exp(-1.5)) - 0.5 * 1.5
                                         + math.tanh(-0.75), rel=1e-15)
    assert imported == "False"
    from scipy import special
    assert out[1].split() == [repr(special.erf(np.float64(0.5))), "True"]


@pytest.mark.parametrize("text", ["erf(x)*exp(x)", "sin(x)/x + sqrt(abs(x)) + atan(x)",
                                  "where(x > 0, x**3, asinh(x))"])
def test_numpy_only_and_scipy_namespaces_give_the_same_bits(text):
    from sympy.printing.numpy import SciPyPrinter
    from verify.exact.compiled import _renaming
    expr = parse(text)
    printed = _renaming(SciPyPrinter, {symbol("x"): "x"}, {}, order="none").doprint(expr)
    reference = sympy.lambdify((sympy.Symbol("x"),), printed, modules=["scipy", "numpy"])
    points = np.linspace(-2.0, 2.0, 17) + 0.0625
    assert np.array_equal(Compiled(expr, ("x",)).numpy(points), reference(points))


@pytest.mark.parametrize("text", ["exp(sin(x)) + x**2/3", "pi*x + E + sqrt(2)",
                                  "(2 + x)**(1/3) + asinh(x) + erf(x) + atanh(x/2)",
                                  "abs(x)*log(1 + x**2) + 1/(1 + exp(-x))"])
def test_a_ball_function_gives_mpmaths_value_to_its_digits(text):
    import mpmath
    from flint import arb, ctx
    compiled = Compiled(parse(text), ("x",))
    saved, ctx.prec = ctx.prec, 200
    try:
        ball = compiled.ball(200)(arb("0.3"))
    finally:
        ctx.prec = saved
    with mpmath.workdps(60):
        exact = compiled.mp(mpmath.mpf(3) / 10)
        assert ball.rad() < 1e-50 and abs(mpmath.mpf(ball.mid().str(60, radius=False)) - exact) \
            < mpmath.mpf(10) ** -50


@pytest.mark.parametrize("text", ["Max(x, 1)", "where(x < 0, x**2, x)", "relu(x)*x"])
def test_comparisons_of_balls_are_not_compiled(text):
    assert Compiled(parse(text), ("x",)).ball(200) is None


@pytest.mark.parametrize("text", ["exp(sin(x))*y", "3", "x*0 + 2", "sum(w*x)"])
def test_rows_are_one_value_per_point_as_the_columns_give(text):
    from verify.input.data import Column
    data = (Column("w", ("1", "2"), (1.0, 2.0)),) if "sum" in text else ()
    expr = parse(text, data={"rows": 2}) if data else parse(text)
    compiled = Compiled(expr, ("x", "y"), data)
    points = np.array([[0.1, 0.5], [0.2, -1.0], [0.3, 2.0]])
    expected = np.broadcast_to(compiled.numpy(points[:, 0], points[:, 1]), (3,))
    assert np.array_equal(compiled.rows(points), expected)


def test_a_float_constant_is_left_to_mpmath_not_compiled_for_balls():
    # the mpmath printer writes a Float as mpf((sign, man, exp, bc)), which arb reads as 0
    x = symbol("x")
    assert Compiled(sympy.Float(0.1) * x + sympy.Float(2.5), ("x",)).ball(100) is None


def test_rows_of_one_variable_read_its_column():
    compiled = Compiled(parse("exp(sin(x))"), ("x",))
    points = np.array([[0.1], [0.2], [-3.0]])
    assert np.array_equal(compiled.rows(points), np.exp(np.sin(points[:, 0])))
    assert compiled.rows(points[:, :1].astype(complex)).dtype == np.complex128


@pytest.mark.parametrize("function, x, name", [
    ("cos(exp(x**3) + x**3)", "68151.1587321076", "cos"),
    ("sinh(sinh(atan(2*x) * 2*x**2 - x)/3)/3", "252.44306565866498", "sinh")])
def test_an_argument_past_the_reducible_size_is_refused_at_once_not_computed_for_ever(
        tmp_path, function, x, name):
    # mpmath would reduce cos's argument modulo pi at 4.6e14 bits; the case
    # used to hit the time limit, and is now an error row naming the limit
    from verify.api import run
    from verify.exact.compiled import REDUCIBLE_BITS
    path = tmp_path / "far.yaml"
    path.write_text(f'name: far\nfunction: "{function}"\nat: {{x: {x}}}\n'
                    "checks: [derivative, backprop]\n")
    rows = run(path)
    assert set(rows.status) == {"error"}
    assert all(f"needs {name} of a number of about 2**" in m
               and f"2**{REDUCIBLE_BITS[name]} for {name}" in m for m in rows.message)


def test_arguments_within_the_reducible_size_are_mpmaths_own():
    import mpmath
    from verify.exact.compiled import _MP_NAMES
    with mpmath.workdps(30):
        for name in ("sin", "cos", "tan", "exp", "sinh", "cosh"):
            for x in (mpmath.mpf("0.3"), mpmath.mpf(2) ** 60000, -mpmath.mpf("1e300"),
                      mpmath.mpf(2) ** 200000):
                if name in ("exp", "sinh", "cosh") and abs(x) > 1e6:
                    continue  # a value with an exponent of 2**60000 bits: slow, and mpmath's
                assert _MP_NAMES[name](x) == getattr(mpmath, name)(x)


@pytest.mark.parametrize("digits", [200, 700])
def test_exp_sinh_cosh_of_far_arguments_past_600_bits_agree_with_mpmath(digits):
    # mpmath powers e for them (10 s at 22,700 bits of argument and 320 digits);
    # the compiled functions reduce modulo log 2 instead, to the same digits
    import mpmath
    from verify.exact.compiled import _MP_NAMES
    with mpmath.workdps(digits):
        for x in (mpmath.mpf(2) ** 700 * mpmath.pi, -mpmath.mpf(2) ** 90 * mpmath.e,
                  mpmath.mpf(2) ** 66 * 3 + mpmath.mpf(1) / 7):
            for name in ("exp", "sinh", "cosh"):
                ours = _MP_NAMES[name](x)
                with mpmath.workdps(digits + 40):
                    theirs = getattr(mpmath, name)(x)
                assert abs(ours / theirs - 1) < mpmath.mpf(10) ** (3 - digits), (name, x)


def test_a_taylor_constant_past_the_limit_is_refused_before_sympy_asks_if_it_is_real(tmp_path):
    # cos(sin(exp(2x**2 - x) x**3) x) about -18252: building re(u0) of the series'
    # constant made SymPy evaluate sin(exp(6.7e8)), which never ended
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text('name: far\nfunction: "cos(sin(exp(2*x**2 - x) * x**3) * x)"\n'
                    "at: {x: -18251.996448313406}\nchecks: [taylor]\n")
    rows = run(path, timeout=60)
    assert list(rows.status) == ["error"]
    assert "needs sin of a number of about 2**9.61e+08" in rows.message[0]
