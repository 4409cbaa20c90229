"""Cases in worker processes: figures drawn where the case ran."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from verify.checks.common import RunOptions
from verify.runner import load
from verify.workers import run_in_workers
loaded = load([sys.argv[1]])
runs = list(run_in_workers(loaded.cases, RunOptions(timeout=60), jobs=1))
(kind, title, data, fragment), = runs[0].figures
print(kind, fragment.startswith("<div class='plot'><svg"), runs[0].case is not None,
      "matplotlib" in sys.modules)
"""


def test_a_worker_sends_back_the_figure_drawn_and_the_parent_never_loads_matplotlib(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nfunction: exp(x)\nat: {x: 0.5}\nchecks: {taylor: {order: 3}}\n")
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.stdout.split() == ["taylor", "True", "True", "False"], done.stderr[-2000:]
