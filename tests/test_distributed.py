"""--dask: the cases on a Dask cluster (a scheduler and two workers on
127.0.0.1, started here as the ``dask scheduler`` and ``dask worker``
commands, workers under their default nanny, so daemonic), the reports
those of a local run, the time limit enforced on the workers."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verify import distributed
from verify.cli import main

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
CASES = """\
cases:
  - {name: chain, function: sin(x**2), at: {x: 1.5}, checks: [derivative],
     expect: {derivative: "3*cos(9/4)"}}
  - {name: wrong, function: x**3, at: {x: 2}, checks: [derivative], expect: {derivative: 11}}
  - {name: pole, function: 1/x, at: {x: 0}, checks: [derivative]}
  - {name: slow, function: x, at: {x: 1}, checks: [], implementation: {value: 'slow:f'}}
  - {name: series, function: exp(x), at: {x: 0.5}, checks: {taylor: {order: 3}}}
  - {name: bowl, function: x**2 + y**2, at: {x: 3, y: 4}, checks: [gradient]}
"""


def _dask(*args, log):
    """``dask ARGS`` in a session of its own (so its nanny's worker goes with it)."""
    return subprocess.Popen([shutil.which("dask"), *args], cwd=log.parent,
                            stdout=log.open("w"), stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), start_new_session=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not shutil.which("dask"):
        pytest.skip("the dask command is not installed (pip install 'verify[dask]')")
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    processes = []

    def stop():
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # its own session: it and its nanny
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    try:
        processes.append(_dask("scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(scheduler_file),
                               log=folder / "scheduler.log"))
        deadline = time.monotonic() + 30
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for k in range(2):
            processes.append(_dask("worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                   "--no-dashboard", "--name", f"w{k}",
                                   log=folder / f"worker{k}.log"))
        from distributed import Client
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
        yield address
    finally:
        stop()


def test_dask_run_writes_the_reports_of_a_local_run(cluster, tmp_path):
    (tmp_path / "slow.py").write_text("import time\n\n\ndef f(x):\n    time.sleep(30)\n"
                                      "    return x\n")
    (tmp_path / "lab.yaml").write_text(CASES)
    # 5 s: time for the other cases on a busy machine, well short of the slow one's 30 s
    common = [str(tmp_path / "lab.yaml"), "--timeout", "5", "--allow-import", "-q"]
    # the local run goes on in its own process meanwhile: both wait out the 5 s
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    local = subprocess.Popen([sys.executable, "-m", "verify", *common, "--out",
                              str(tmp_path / "local"), "--jobs", "2"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    remote = main(common + ["--out", str(tmp_path / "dask"), "--dask", cluster])
    _, errors = local.communicate(timeout=120)
    assert remote == local.returncode == 2, errors
    for name in ("results.csv", "summary.csv", "curves.csv", "report.html"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    rows = (tmp_path / "dask" / "results.csv").read_text().splitlines()
    slow = [r for r in rows if ",slow," in r]
    assert len(slow) == 1 and ",error," in slow[0]
    assert "time limit: the case ran longer than 5 s and was stopped (--timeout)" in slow[0]
    assert any(",wrong," in r and ",fail," in r for r in rows)
    assert list((tmp_path / "dask" / "plots").glob("*taylor.svg"))


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 1.0)
    (tmp_path / "lab.yaml").write_text("name: a\nfunction: x**2\nat: {x: 1}\n")
    assert main([str(tmp_path / "lab.yaml"), "--out", str(tmp_path / "out"),
                 "--dask", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
