"""Which files a run reads, and reading them within limits (verify/input/files.py, issue 11)."""
from __future__ import annotations

import sys

import pytest

from verify.runner import load


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")
def test_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path):
    import os
    import threading

    from verify.input import files
    os.mkfifo(tmp_path / "pipe.yaml")
    found = []
    reader = threading.Thread(target=lambda: found.append(
        [r.message for r in load([tmp_path / "pipe.yaml"]).errors]), daemon=True)
    reader.start()
    reader.join(30)
    assert found == [[f"{tmp_path}/pipe.yaml: the file is not a regular file (a folder, "
                      "device or pipe cannot be read as one)"]]
    with pytest.raises(files.CaseError, match="not a regular file"):
        files.read_limited(tmp_path, 100)


def test_a_case_file_linking_out_of_its_folder_is_refused_unless_allowed(tmp_path):
    from verify.core.run_options import RunOptions
    (tmp_path / "cases").mkdir()
    (tmp_path / "elsewhere.yaml").write_text("name: outside\nfunction: x\nat: {x: 1}\n")
    (tmp_path / "cases" / "link.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    loaded = load([tmp_path / "cases"])
    assert [e.message for e in loaded.errors] == [
        f"{tmp_path}/cases/link.yaml: the file is a symbolic link that leaves its folder "
        "(the run allows this only with --allow-outside-data)"]
    allowed = load([tmp_path / "cases"], RunOptions(allow_outside_data=True))
    assert [c.name for c in allowed.cases] == ["outside"]


def test_ids_stay_unique_across_roots_with_files_of_the_same_name(tmp_path, monkeypatch):
    case = "name: c\nfunction: x**2\nat: {x: 1}\nchecks: [derivative]\n"
    for root in ("a", "b"):
        (tmp_path / root).mkdir()
        (tmp_path / root / "g.yaml").write_text(case)
    monkeypatch.chdir(tmp_path)
    loaded = load(["a", "b"])
    assert not loaded.errors  # no "duplicate case id"
    assert [c.id for c in loaded.cases] == ["a/g::c", "b/g::c"]
    assert [c.id for c in load(["a"]).cases] == ["g::c"]  # one root: ids as before
