"""Hostile inputs too big, or too odd (FIFOs, symlinks, control characters in
names), to commit: each is made on the fly in a folder of its own, beside
nothing else. Shared by tests/test_hostile.py and bench/bench_hostile.py.

``INPUTS`` maps a name to ``(make, cheap)``; ``make(folder)`` writes the input
into ``folder`` and returns what the run must give for it: ``(case name,
[message alternatives])`` per error row. Every run passes
``--allow-outside-data`` (for ``/dev/zero``), so the symlink to /etc/passwd
is read, and must show a short excerpt only.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

GOOD = """name: good_neighbour
function: sin(x**2)
at: {x: 1.5}
checks: {derivative: {methods: [central, richardson]}}
"""
GIB = 1 << 30
PARENT_LIMIT_MB = 500
_CASE = "name: {name}\nfunction: sum(x*w)\ndata: {{csv: {csv}}}\nat: {{w: 1}}\n"


def _data_case(folder, csv, name="reads_data"):
    (folder / "case.yaml").write_text(_CASE.format(name=name, csv=csv))


def passwd_link(folder):
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    return [("", ["expected a mapping with 'cases:' or a single case, got 'root:"])]


def control_name(folder):
    (folder / "\x1b[2K\rPASS fake.yaml").write_text("name: x\nfunction: [\n")
    return [("", ["malformed YAML"])]


def formula_names(folder):
    (folder / '=HYPERLINK("x";"y").yaml').write_text("name: -cmd\nfunction: foo(x)\nat: {x: 1}\n")
    return [("-cmd", ["unknown function 'foo'"])]


def fifo_data(folder):
    os.mkfifo(folder / "pipe.csv")
    _data_case(folder, "pipe.csv")
    return [("reads_data", ["csv 'pipe.csv' is not a regular file"])]


def data_symlink_loop(folder):
    (folder / "loop.csv").symlink_to("loop.csv")
    _data_case(folder, "loop.csv")
    return [("reads_data", ["cannot read csv 'loop.csv'"])]


def case_symlink_loop(folder):
    (folder / "loop.yaml").symlink_to("loop.yaml")
    return [("", ["symbolic link that leads nowhere (or in a loop)"])]


def big_case_file(folder):
    with open(folder / "huge.yaml", "wb") as stream:
        stream.truncate(GIB)  # sparse: no disk used, still 1 GiB to stat and read
    return [("", ["the file is larger than 50000000 bytes"])]


def big_csv(folder):
    with open(folder / "huge.csv", "wb") as stream:
        stream.truncate(GIB)
    _data_case(folder, "huge.csv")
    return [("reads_data", ["csv 'huge.csv' is larger than 50000000 bytes"])]


def csv_rows(folder):
    with open(folder / "rows.csv", "w") as stream:
        stream.write("x\n" + "0\n" * 2_000_001)
    _data_case(folder, "rows.csv")
    return [("reads_data", ["csv 'rows.csv' has more than 1000000 rows",
                            "time limit: building the case"])]


def dev_zero(folder):
    _data_case(folder, "/dev/zero")
    return [("reads_data", ["csv '/dev/zero' is not a regular file"])]


def many_scalars(folder):
    with open(folder / "scalars.yaml", "w") as stream:
        stream.write("name: many\nfunction: x\nat: {x: 1}\nlist: [" + "0," * 5_000_000 + "0]\n")
    return [("", ["the file expands to more than 2000000 YAML nodes",
                  "time limit: reading the file"])]


def pi_cells(folder):
    with open(folder / "pi.csv", "w") as stream:
        stream.write("x\n" + "pi/4\n" * 200_000)
    _data_case(folder, "pi.csv")
    return [("reads_data", ["time limit: building the case took longer than"])]


INPUTS = {
    "passwd_link": (passwd_link, True), "control_name": (control_name, True),
    "formula_names": (formula_names, True), "fifo_data": (fifo_data, True),
    "data_symlink_loop": (data_symlink_loop, True),
    "case_symlink_loop": (case_symlink_loop, True), "big_case_file": (big_case_file, True),
    "big_csv": (big_csv, True), "dev_zero": (dev_zero, True),
    "csv_rows": (csv_rows, False), "many_scalars": (many_scalars, False),
    "pi_cells": (pi_cells, False),
}


def run_verify(root, paths, out, timeout, cwd):
    """One CLI run in a fresh process: ``(seconds, exit, stdout, stderr, parent peak RSS MB)``.
    The peak is the verify process's own, not its workers': VmHWM of its own
    memory map. (RUSAGE_SELF's ru_maxrss is not: Linux carries it across fork
    and exec, so it would report the pytest worker that started the run.)"""
    code = ("import sys\nfrom verify.cli import main\ntry:\n    status = main(sys.argv[1:])\n"
            "finally:\n    peak = [line.split()[1] for line in open('/proc/self/status')\n"
            "            if line.startswith('VmHWM:')][0]\n"
            "    sys.stderr.write(f'\\nPARENT_PEAK_KB {peak}\\n')\nsys.exit(status)\n")
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("CI", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *map(str, paths), "--out", str(out),
                           "--timeout", str(timeout), "--jobs", "2", "--allow-outside-data"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PARENT_PEAK_KB")]
    peak = int(peaks[-1]) / 1024 if peaks else float("nan")
    return seconds, done.returncode, done.stdout, done.stderr, peak


def make_all(base: Path, names):
    """Each input in ``base/<name>/`` and the good case in ``base/good/``;
    returns ``{name: (folder, expected rows)}``."""
    made = {}
    for name in names:
        folder = base / name
        folder.mkdir(parents=True)
        made[name] = (folder, INPUTS[name][0](folder))
    (base / "good").mkdir(exist_ok=True)
    (base / "good" / "good.yaml").write_text(GOOD)
    return made
