"""Benchmark of the Taylor coefficients and the descent runs.

Run: ``python bench/bench_taylor_descent.py`` (prints Markdown tables).

- Exact Taylor coefficients c_0..c_20 (verify/exact/taylor.py: power-series
  arithmetic over Q[constants]) of exp(sin(x)), tan(x), 1/(1 + 25x^2) and
  the lab's functions; target at most 100 ms each. Beside each: SymPy's
  ``series(f, x, a, 21)`` for the same coefficients, in a child process
  stopped after ``SYMPY_LIMIT`` seconds, and the ratio.
- 1,000 descent steps of two-variable functions (verify/numeric/descent.py, exact
  gradient compiled once); target at most 10 ms. Beside: the same loop
  with the gradient written by hand in Python, the floor for a Python
  loop of this shape.

Best of ``REPEAT`` runs: the machine is shared.
"""
from __future__ import annotations

import multiprocessing
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from verify.numeric.descent import descend, gradient_function  # noqa: E402
from verify.exact.symbolic import ExactFunction  # noqa: E402
from verify.input.expressions import parse  # noqa: E402
from verify.exact.taylor import exact_coefficients  # noqa: E402
from verify.input.values import parse_value  # noqa: E402

REPEAT = 5
ORDER = 20
SYMPY_LIMIT = 60.0
TARGET_TAYLOR_MS = 100.0
TARGET_DESCENT_MS = 10.0

FUNCTIONS = [  # (function, about)
    ("exp(sin(x))", "0"),
    ("tan(x)", "0"),
    ("1/(1 + 25*x**2)", "0"),
    ("exp(x)", "0"),          # the lab: e^x at 1 from its Maclaurin series
    ("sin(x)", "0"),          # the lab: sin at pi/4 from its Maclaurin series
    ("sin(x)", "pi/4"),
    ("x**4 - 3*x**3 + 2", "4"),
    ("(x - 3)**2 + 1", "0"),
    ("exp(sin(x))", "1"),     # irrational constants: exact in Q[sin 1, cos 1, exp(sin 1)]
]

DESCENT = [  # (function, variables, start, lr)
    ("(1 - x)**2 + 100*(y - x**2)**2", ("x", "y"), (-1.0, 1.0), 1e-4),
    ("x**2 + 3*y**2 + x*y", ("x", "y"), (1.0, 1.0), 0.1),
]


def best(call, repeat=REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def _sympy_series(text, about, queue):
    import sympy
    from verify.input.expressions import symbol
    start = time.perf_counter()
    sympy.series(parse(text), symbol("x"), parse_value(about).exact, ORDER + 1)
    queue.put(time.perf_counter() - start)


def sympy_seconds(text, about):
    """SymPy's series time in a child process, or None past SYMPY_LIMIT."""
    queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_sympy_series, args=(text, about, queue))
    child.start()
    child.join(SYMPY_LIMIT)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get()


def taylor_table():
    print(f"### Exact Taylor coefficients c_0..c_{ORDER} (target <= {TARGET_TAYLOR_MS:g} ms)\n")
    print("| function | about | verify (ms) | SymPy series (ms) | SymPy / verify | target |")
    print("|---|---|---:|---:|---:|---|")
    for text, about in FUNCTIONS:
        function = ExactFunction(parse(text), ("x",))
        point = parse_value(about)
        ours = best(lambda: exact_coefficients(function, point, ORDER)) * 1e3
        theirs = sympy_seconds(text, about)
        shown = f"> {SYMPY_LIMIT * 1e3:.0f}" if theirs is None else f"{theirs * 1e3:.1f}"
        ratio = f"> {SYMPY_LIMIT * 1e3 / ours:.0f}" if theirs is None else f"{theirs * 1e3 / ours:.1f}"
        met = "met" if ours <= TARGET_TAYLOR_MS else "MISSED"
        print(f"| `{text}` | {about} | {ours:.1f} | {shown} | {ratio} | {met} |")
    print()


def _hand_rosenbrock(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def _hand_quadratic(x, y):
    return 2 * x + y, 6 * y + x


def _hand_loop(gradient, start, lr, steps):
    x = list(start)
    flat = list(x)
    for _ in range(steps):
        g = gradient(*x)
        x = [a - lr * b for a, b in zip(x, g)]
        flat.extend(x)
    return flat


def descent_table():
    print(f"### 1,000 descent steps, two variables (target <= {TARGET_DESCENT_MS:g} ms)\n")
    print("| function | lr | verify (ms) | hand-written loop (ms) | verify / hand | target |")
    print("|---|---:|---:|---:|---:|---|")
    hands = [_hand_rosenbrock, _hand_quadratic]
    for (text, variables, start, lr), hand in zip(DESCENT, hands):
        function = ExactFunction(parse(text), variables)
        gradient = gradient_function(function)
        ours = best(lambda: descend(gradient, start, lr, 1000, 1e6), 20) * 1e3
        theirs = best(lambda: _hand_loop(hand, start, lr, 1000), 20) * 1e3
        met = "met" if ours <= TARGET_DESCENT_MS else "MISSED"
        print(f"| `{text}` | {lr:g} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.1f} | {met} |")
    print()


def main():
    print(f"Python {platform.python_version()} on {platform.machine()}; best of {REPEAT} runs.\n")
    taylor_table()
    descent_table()


if __name__ == "__main__":
    main()
