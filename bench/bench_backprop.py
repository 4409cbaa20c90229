"""Benchmark of the reverse-mode engine (verify/numeric/backprop.py).

Run: ``python bench/bench_backprop.py`` (prints Markdown). Two gradients:

- a 20-node expression of two variables at one point (target: at most
  50 microseconds per gradient);
- an MSE loss ``mean((y - (w*x + b))**2)`` over 10,000 data rows with two
  parameters (target: at most 2 ms per gradient).

Beside each: the exact engine's time for the same gradient
(:class:`verify.exact.symbolic.ExactFunction`, SymPy derivatives compiled once and
evaluated by mpmath until float64's last digit is right), for the MSE a
hand-written NumPy gradient, and ``torch.autograd.grad`` on the CPU when
torch is installed (it is optional and not installed by this project).
Each line gives the error of the gradient against the exact one.

Timing: the compiled graph is built once (as the check does); each call
runs the forward and the backward pass. Best of ``REPEAT`` runs of many
calls each, because the machine is shared.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import mpmath
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import timing  # noqa: E402  (bench/timing.py)
from verify.numeric.backprop import from_expression  # noqa: E402
from verify.input.data import Column  # noqa: E402
from verify.exact.symbolic import ExactFunction  # noqa: E402
from verify.input.expressions import parse  # noqa: E402
from verify.input.values import number  # noqa: E402

REPEAT = 7          # best of this many timing runs
RUN_SECONDS = 0.05  # each run lasts about this long
ROWS = 10_000
SEED = 12345

# 20 operations (nodes other than the two inputs), with a shared x**2
EXPRESSION = ("sin(x*y) + exp(-x**2)*cos(y) + log(1 + x**2 + y**2)"
              " + tanh(x - y)/(1 + sqrt(x**2 + 1)) + atan(y)")
POINT = ("0.7", "1.3")
MSE = "mean((y - (w*x + b))**2)"
MSE_POINT = ("1.5", "0.5")

TARGET_SMALL_US = 50.0
TARGET_MSE_MS = 2.0


def best_seconds(call) -> float:
    return timing.best_seconds(call, repeat=REPEAT, run_seconds=RUN_SECONDS)


def exact_gradient(engine, point):
    return [engine.value(tuple(int(i == k) for i in range(len(point))), point)
            for k in range(len(point))]


def worst_error(gradient, exact) -> float:
    return max(float(abs(mpmath.mpf(float(g)) - e) / max(abs(e), 1e-300))
               for g, e in zip(gradient, exact))


def torch_small(values):
    import torch
    x = torch.tensor(values[0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor(values[1], dtype=torch.float64, requires_grad=True)

    def gradient():
        t = x * x
        f = (torch.sin(x * y) + torch.exp(-t) * torch.cos(y) + torch.log(1 + t + y * y)
             + torch.tanh(x - y) / (1 + torch.sqrt(t + 1)) + torch.atan(y))
        return torch.autograd.grad(f, (x, y))
    return gradient


def torch_mse(values, xs, ys):
    import torch
    w = torch.tensor(values[0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(values[1], dtype=torch.float64, requires_grad=True)
    tx, ty = torch.from_numpy(xs), torch.from_numpy(ys)

    def gradient():
        return torch.autograd.grad(torch.mean((ty - (w * tx + b)) ** 2), (w, b))
    return gradient


def data_columns():
    rng = np.random.default_rng(SEED)
    xs = np.round(rng.normal(size=ROWS), 6)
    ys = np.round(2 * xs + 1 + rng.normal(scale=0.1, size=ROWS), 6)
    return xs, ys, (Column("x", tuple(f"{v:.6f}" for v in xs), tuple(xs)),
                    Column("y", tuple(f"{v:.6f}" for v in ys), tuple(ys)))


def measure():
    """Rows (case, engine, time in seconds, worst relative error) and the figures."""
    lines = []
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False

    graph = from_expression(parse(EXPRESSION), ("x", "y"))
    point = tuple(number(v) for v in POINT)
    values = [p.float64 for p in point]
    exact_engine = ExactFunction(parse(EXPRESSION), ("x", "y"))
    exact = exact_gradient(exact_engine, point)
    ours = graph.gradient(values)[1]
    small = best_seconds(lambda: graph.gradient(values))
    lines.append(("20-node expression", "verify backprop", small, worst_error(ours, exact)))
    lines.append(("20-node expression", "verify exact (mpmath)",
                  best_seconds(lambda: exact_gradient(exact_engine, point)), 0.0))
    if have_torch:
        call = torch_small(values)
        lines.append(("20-node expression", "torch.autograd.grad", best_seconds(call),
                      worst_error([float(g) for g in call()], exact)))

    xs, ys, data = data_columns()
    expr = parse(MSE, data={"rows": ROWS})
    loss = from_expression(expr, ("w", "b"), data)
    point = tuple(number(v) for v in MSE_POINT)
    values = [p.float64 for p in point]
    exact_engine = ExactFunction(expr, ("w", "b"), data)
    exact = exact_gradient(exact_engine, point)
    ours = loss.gradient(values)[1]
    mse = best_seconds(lambda: loss.gradient(values))
    lines.append((f"MSE over {ROWS} rows", "verify backprop", mse, worst_error(ours, exact)))

    def numpy_gradient():
        r = ys - (values[0] * xs + values[1])
        return -2 * np.mean(r * xs), -2 * np.mean(r)
    lines.append((f"MSE over {ROWS} rows", "NumPy by hand", best_seconds(numpy_gradient),
                  worst_error(numpy_gradient(), exact)))
    start = time.perf_counter()
    exact_gradient(exact_engine, point)
    lines.append((f"MSE over {ROWS} rows", "verify exact (mpmath)",
                  time.perf_counter() - start, 0.0))
    if have_torch:
        call = torch_mse(values, xs, ys)
        lines.append((f"MSE over {ROWS} rows", "torch.autograd.grad", best_seconds(call),
                      worst_error([float(g) for g in call()], exact)))
    return lines, small, mse, len(graph.steps), len(loss.steps), have_torch


def main():
    lines, small, mse, nodes, loss_nodes, have_torch = measure()
    print("# Backprop benchmark\n")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, "
          f"{platform.machine()}; best of {REPEAT} runs of ~{RUN_SECONDS * 1e3:.0f} ms of calls "
          f"(the exact MSE gradient: one call). Graphs: {nodes} operations for the expression, "
          f"{loss_nodes} for the MSE loss.\n")
    print("| gradient | engine | time | vs backprop | worst rel. error |")
    print("|---|---|---:|---:|---:|")
    ours = {}
    for case, engine, seconds, error in lines:
        ours.setdefault(case, seconds)
        shown = f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"
        print(f"| {case} | {engine} | {shown} | {seconds / ours[case]:.2f}x | {error:.1e} |")
    if not have_torch:
        print("\ntorch is not installed: its lines are left out (it is optional).")
    print("\n## Targets (issue 3)\n")
    for ok, label, figure in (
            (small * 1e6 <= TARGET_SMALL_US, f"20-node gradient <= {TARGET_SMALL_US:g} us",
             f"{small * 1e6:.1f} us"),
            (mse * 1e3 <= TARGET_MSE_MS, f"MSE over {ROWS} rows <= {TARGET_MSE_MS:g} ms",
             f"{mse * 1e3:.3f} ms")):
        print(f"- {'PASS' if ok else 'MISS'}: {label} (got {figure})")


if __name__ == "__main__":
    main()
