"""The Python API: verify.run, verify.check, verify.check_gradient (float64 and float32)."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import verify
from verify.checks.compare import COLUMNS

EXPRESSION = "x**2*sin(y)"
AT = {"x": 1.5, "y": 0.3}


def value(x, y):
    return x**2 * np.sin(y)


def gradient(x, y):
    return (2 * x * np.sin(y), x**2 * np.cos(y))


def wrong_gradient(x, y):  # d/dy written with sin instead of cos: the classic slip
    return (2 * x * np.sin(y), x**2 * np.sin(y))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_correct_hand_written_gradient_passes(dtype):
    table = verify.check_gradient(value, gradient, EXPRESSION, at=AT, dtype=dtype)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == list(COLUMNS)
    assert list(zip(table.method, table.quantity)) == [
        ("implementation", "value"), ("implementation", "grad[x]"), ("central", "grad[x]"),
        ("implementation", "grad[y]"), ("central", "grad[y]")]
    assert set(table.status) == {"pass"}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_wrong_component_is_named_with_its_error(dtype):
    with pytest.raises(verify.VerificationFailed) as caught:
        verify.check_gradient(value, wrong_gradient, EXPRESSION, at=AT, dtype=dtype)
    (row,) = caught.value.rows
    assert (row.quantity, row.method, row.status) == ("grad[y]", "implementation", "fail")
    exact = 1.5**2 * np.cos(np.float32(0.3) if dtype == "float32" else 0.3)
    assert row.exact == pytest.approx(exact, rel=1e-12)
    assert row.abs_error == pytest.approx(abs(exact - 1.5**2 * np.sin(0.3)), rel=1e-5)
    text = str(caught.value)
    assert "component y of your gradient is wrong" in text
    assert f"off by {row.abs_error:.3g}" in text
    assert "the gradient code is wrong, not the value code" in text
    assert "grad[x]" not in text  # the right component is not blamed


def test_float32_code_receives_float32_and_gets_a_float32_sized_bound():
    seen = []

    def recording(x, y):
        seen.append((type(x), type(y)))
        return gradient(x, y)

    t32 = verify.check_gradient(value, recording, EXPRESSION, at=AT, dtype="float32")
    t64 = verify.check_gradient(value, gradient, EXPRESSION, at=AT, dtype="float64")
    assert seen == [(np.float32, np.float32)]
    ratio = (t32.tolerance / t64.tolerance).to_numpy()
    direct = (t32.method == "implementation").to_numpy()
    # code against exact: rounding only, so the bound scales with u (2**29 apart);
    # central differences at the step chosen for the dtype: u**(2/3)
    assert ratio[direct] == pytest.approx(2.0**29, rel=0.01)
    assert ratio[~direct] == pytest.approx(2.0 ** (29 * 2 / 3), rel=0.5)


def test_float32_accuracy_passes_as_float32_and_fails_as_float64():
    def float32_gradient(x, y):  # right formula, computed in float32 whatever comes in
        x, y = np.float32(x), np.float32(y)
        return (2 * x * np.sin(y), x**2 * np.cos(y))

    at = {"x": 1.7, "y": 0.9}
    verify.check_gradient(None, float32_gradient, EXPRESSION, at=at, dtype="float32")
    with pytest.raises(verify.VerificationFailed, match="component"):
        verify.check_gradient(None, float32_gradient, EXPRESSION, at=at, dtype="float64")


def test_a_value_function_that_does_not_match_the_expression_is_reported():
    table = verify.check_gradient(lambda x, y: x**2 * np.sin(y) + 1e-3, gradient, EXPRESSION,
                                  at=AT, assert_ok=False)
    row = table[table.quantity == "value"].iloc[0]
    assert row.status == "fail"
    assert "the code and the expression differ" in row.message
    assert set(table[table.quantity != "value"].status) == {"pass"}


def test_calling_conventions_and_return_types():
    vector_value = lambda v: v[0] ** 2 * np.sin(v[1])  # noqa: E731 - one array argument
    mapping_gradient = lambda x, y: {"y": x**2 * np.cos(y), "x": 2 * x * np.sin(y)}  # noqa: E731
    table = verify.check_gradient(vector_value, mapping_gradient, EXPRESSION, at=AT)
    assert set(table.status) == {"pass"}
    table = verify.check_gradient(np.sin, lambda t: [np.cos(t)], "sin(x)", at={"x": 0.5})
    assert set(table.status) == {"pass"}  # a ufunc takes its argument by position


class FakeTensor:
    """What a PyTorch tensor offers for the conversion at the edge."""

    def __init__(self, data):
        self.data = np.asarray(data)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.data


def test_tensor_results_are_converted_at_the_edge():
    table = verify.check_gradient(lambda x, y: FakeTensor(value(x, y)),
                                  lambda x, y: FakeTensor(np.array(gradient(x, y))),
                                  EXPRESSION, at=AT)
    assert set(table.status) == {"pass"}


def test_nan_and_a_wrong_number_of_components_are_errors():
    table = verify.check_gradient(None, lambda x, y: (np.nan, 1.0), EXPRESSION, at=AT,
                                  assert_ok=False)
    assert list(table.status) == ["error", "fail"]
    assert "NaN or infinity never passes" in table.message[0]
    table = verify.check_gradient(None, lambda x, y: (1.0,), EXPRESSION, at=AT, assert_ok=False)
    assert set(table.status) == {"error"}
    assert "returned 1 components; the case has 2 variables (x, y)" in table.message[0]


def test_several_points_and_a_tolerance():
    points = [{"x": 0.5, "y": 0.1}, {"x": -2.0, "y": 1.2}]
    table = verify.check_gradient(value, gradient, EXPRESSION, at=points)
    assert list(table.point.unique()) == ["x=0.5, y=0.1", "x=-2.0, y=1.2"]
    loose = verify.check_gradient(None, lambda x, y: (2 * x * np.sin(y) * 1.01, x**2 * np.cos(y)),
                                  EXPRESSION, at=AT, rtol=0.02)
    assert set(loose.status) == {"pass"} and set(loose.bound_kind) == {"tolerance"}


def test_check_runs_one_case_given_in_python():
    table = verify.check("sin(x**2)", at={"x": 1.5}, checks=["derivative"],
                         expect={"derivative": "3*cos(9/4)"}, assert_ok=True)
    assert set(table.status) == {"pass"}
    assert table.quantity.iloc[0] == "expect:derivative"
    assert len(table) == 7  # the expectation and six methods
    with pytest.raises(verify.VerificationFailed) as caught:
        verify.check("sin(x**2)", at={"x": 1.5}, checks=["derivative"],
                     expect={"derivative": -1.89}, assert_ok=True)
    assert "expected -1.89 but the exact value is -1.8845208681682" in str(caught.value)
    assert "quantity" in str(caught.value) and "bound" in str(caught.value)


def test_check_in_float32_and_input_errors():
    table = verify.check("exp(-x*y)", at={"x": 0.3, "y": 2.1}, checks=["gradient"],
                         dtype="float32", assert_ok=True)
    assert (table.tolerance > 1e-7).all()  # float32-sized bounds
    with pytest.raises(ValueError, match="variable 'z' is not in the function"):
        verify.check("sin(x)", at={"z": 1})


def test_run_returns_the_rows_of_results_csv(tmp_path):
    (tmp_path / "lab.yaml").write_text(
        "cases:\n  - {name: a, function: sin(x), at: {x: 1}, checks: [derivative]}\n"
        "  - {name: b, function: x*y, at: {x: 1, y: 2}, checks: [gradient],"
        " expect: {gradient: {x: 3, y: 1}}}\n")
    table = verify.run(tmp_path, out=tmp_path / "out")
    written = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    assert list(table.columns) == list(written.columns)
    assert list(table.status) == list(written.status)
    assert list(table[table.status == "fail"].quantity) == ["expect:grad[x]"]
    assert len(verify.run(tmp_path, select="::a")) == 6
    with pytest.raises(verify.VerificationFailed, match="expected 3 but the exact value is 2"):
        verify.run(tmp_path, assert_ok=True)


def test_import_verify_stays_light():
    code = ("import sys, verify; heavy = [m for m in ('sympy', 'numpy', 'pandas', 'mpmath', "
            "'matplotlib', 'yaml') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tensor_inputs_need_pytorch():
    import importlib.util
    if importlib.util.find_spec("torch") is not None:
        # importing torch here would grow this worker by hundreds of MB; with torch,
        # tests/test_frameworks.py checks that tensor inputs reach the code in their dtype
        pytest.skip("torch is installed: tests/test_frameworks.py covers tensors=True")
    with pytest.raises(ImportError, match="torch code needs torch, which is not installed"):
        verify.check_gradient(value, gradient, EXPRESSION, at=AT, tensors=True)


def test_the_function_meant_for_tests_asserts_and_the_table_functions_return_their_table():
    # the documented rule (docs/python-and-pytest.md): check_gradient raises on a wrong
    # gradient unless told not to; check returns its table unless asked to assert
    with pytest.raises(verify.VerificationFailed):
        verify.check_gradient(value, wrong_gradient, EXPRESSION, at=AT)
    table = verify.check_gradient(value, wrong_gradient, EXPRESSION, at=AT, assert_ok=False)
    assert "fail" in set(table.status)
    wrong = verify.check("sin(x)", at={"x": 1}, checks=[], expect={"derivative": 0.6})
    assert list(wrong.status) == ["fail"]
    with pytest.raises(verify.VerificationFailed):
        verify.check("sin(x)", at={"x": 1}, checks=[], expect={"derivative": 0.6}, assert_ok=True)
