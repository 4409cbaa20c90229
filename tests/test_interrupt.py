"""Nothing lost: an interrupted or killed run leaves whole reports.

A run is started in a subprocess on many cases and stopped mid-way: by
SIGINT (Ctrl-C), which must end it promptly with the finished cases written
and marked interrupted, or by SIGKILL, which must leave the previous
reports exactly as they were. The writer's own guarantee (the manifest goes
in last and lists each file's digest) is tested by failing it between any
two renames.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = 120

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def snapshot(out: Path) -> dict:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def whole_set(out: Path) -> bool:
    """Every file the manifest lists is there with the digest the manifest gives."""
    manifest = json.loads((out / "manifest.json").read_text())
    return set(manifest["sha256"]) == set(manifest["files"]) and all(
        (out / name).is_file()
        and hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
        for name, digest in manifest["sha256"].items())


def case_ids(path: Path) -> set:
    with open(path, newline="") as stream:
        return {row["case"] for row in csv.DictReader(stream)}


@pytest.fixture
def folders(tmp_path):
    many = tmp_path / "many"
    many.mkdir()
    # six methods at ten points (tens of ms a case): the run outlasts the
    # signal's delivery by seconds, however fast the machine
    cases = "\n".join(f"""  - name: case_{k:03d}
    function: sin(x**2) + {k}*x
    points: [{', '.join(f'{{x: 0.{k % 9 + 1}{j}}}' for j in range(10))}]""" for k in range(CASES))
    (many / "many.yaml").write_text(
        "defaults:\n  checks: [derivative]\n"
        f"cases:\n{cases}\n")
    return many, tmp_path / "out"


def _as_from_a_terminal():
    # a process started with SIGINT ignored (as a background job is) keeps
    # ignoring it; the run under test is one a user can press Ctrl-C in
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def verify(*args, **popen):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.pop("CI", None)
    return subprocess.Popen([sys.executable, "-m", "verify", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_from_a_terminal, **popen)


def interrupt(process, stop):
    """Send ``stop``; a run that ended before it, or ignores it, fails here, saying which."""
    ended = process.poll()
    ignored = _ignored_signals(process.pid)
    process.send_signal(stop)
    assert ended is None, f"the run ended (exit {ended}) before it could be interrupted"
    assert not ignored & (1 << (stop - 1)), f"the run ignores {stop.name}"


def _ignored_signals(pid) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn"))
    except (OSError, StopIteration, ValueError):
        return 0  # not Linux: nothing to tell


def wait_for_cases(process, count):
    """Read the run's lines until ``count`` cases have finished."""
    done = 0
    for line in process.stdout:
        done += line.startswith(("PASS", "FAIL", "ERROR"))
        if done >= count:
            return done
    pytest.fail("the run ended before it could be interrupted")


@pytest.fixture(scope="module")
def previous_set(tmp_path_factory):
    """The reports of an earlier run (one case), written once for the module."""
    base = tmp_path_factory.mktemp("previous")
    (base / "previous.yaml").write_text(
        "name: previous_run\nfunction: x**3\nat: {x: 2}\n"
        "checks: {derivative: {methods: [central]}}\n")
    done = verify(base / "previous.yaml", "--out", base / "out")
    done.communicate(timeout=120)
    assert done.returncode == 0
    assert whole_set(base / "out")
    return base / "out"


def previous_reports(previous_set, out):
    """``out`` holds the earlier run's reports; their bytes."""
    shutil.copytree(previous_set, out)
    return snapshot(out)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_ends_the_run_promptly_and_writes_what_finished(folders, previous_set, stop):
    many, out = folders
    before = previous_reports(previous_set, out)
    process = verify(many, "--out", out, "--jobs", "2")
    wait_for_cases(process, 5)
    interrupt(process, stop)
    try:
        _, stderr = process.communicate(timeout=60)  # promptly: not the rest of the run
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the run did not stop after {stop.name}")
    assert process.returncode == 130, stderr
    assert "interrupted: writing the reports of the cases that finished" in stderr
    assert "Traceback" not in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interrupted"] is True
    assert manifest["paths"] == [str(many)]
    assert whole_set(out)  # a complete new set, not a mix with the previous one
    assert snapshot(out) != before
    finished = case_ids(out / "results.csv")
    assert 5 <= len(finished) < CASES
    assert finished == case_ids(out / "summary.csv")
    assert "previous_run" not in finished
    html = (out / "report.html").read_text()
    assert html.rstrip().endswith("</html>")
    assert "previous_run" not in html
    assert not [p for p in out.rglob(".*")]  # no temporary file left behind


def test_a_killed_run_leaves_the_previous_reports_exactly(folders, previous_set):
    many, out = folders
    before = previous_reports(previous_set, out)
    process = verify(many, "--out", out, "--jobs", "2", start_new_session=True)
    wait_for_cases(process, 5)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, nothing else
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    assert whole_set(out)


def test_a_set_cut_between_two_renames_can_be_told_apart(tmp_path, monkeypatch):
    from verify.report import writer
    files = {"results.csv": "a\n1\n", "summary.csv": "b\n2\n", "report.html": "<html></html>"}
    old = dict(files, **{"manifest.json": json.dumps(
        {"files": sorted(files), "sha256": writer.digests(files)})})
    new_files = {name: text.replace("1", "9").replace("2", "8").replace("></", "> </")
                 for name, text in files.items()}
    new = dict(new_files, **{"manifest.json": json.dumps(
        {"files": sorted(new_files), "sha256": writer.digests(new_files)})})
    real_replace = os.replace
    for cut in range(len(new) + 1):
        out = tmp_path / f"out{cut}"
        writer.write_set(out, old)
        renamed = []

        def dying_replace(source, target):
            if len(renamed) == cut:
                raise KeyboardInterrupt  # stands for a kill between two renames
            renamed.append(Path(target).name)
            real_replace(source, target)
        monkeypatch.setattr(writer.os, "replace", dying_replace)
        if cut < len(new):
            with pytest.raises(KeyboardInterrupt):
                writer.write_set(out, new)
        else:
            writer.write_set(out, new)
        monkeypatch.setattr(writer.os, "replace", real_replace)
        assert "manifest.json" not in renamed[:-1]  # the manifest is always last
        state = snapshot(out)
        if cut in (0, len(new)):
            assert state == {k: v.encode() for k, v in (old if cut == 0 else new).items()}
            assert whole_set(out)
        else:
            assert not whole_set(out)  # a mix never passes for a whole set


def test_a_second_ctrl_c_while_the_reports_are_written_loses_nothing(folders):
    many, out = folders
    process = verify(many, "--out", out, "--jobs", "2")
    wait_for_cases(process, 5)
    interrupt(process, signal.SIGINT)
    for line in process.stderr:  # the reports of the finished cases are being written now
        if line.startswith("interrupted: writing the reports"):
            break
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the run did not stop after two Ctrl-C")
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupt noted: finishing the reports first" in stderr
    assert whole_set(out)
    assert json.loads((out / "manifest.json").read_text())["interrupted"] is True
    finished = case_ids(out / "results.csv")
    assert 5 <= len(finished) < CASES
    assert finished == case_ids(out / "summary.csv")
    assert not [p for p in out.rglob(".*")]
