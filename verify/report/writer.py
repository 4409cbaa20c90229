"""Writing the report set so that nothing is ever left half written.

Every file is first written in full to a temporary name in the output
folder, then all are renamed into place together with SIGINT/SIGTERM held
back, so an interrupted run leaves the previous set or the complete new
one. ``manifest.json`` names the run that wrote the set.
"""
from __future__ import annotations

import json
import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def _signals_held():
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_set(out_dir, files: dict[str, bytes | str]) -> list[Path]:
    """Write ``{relative name: content}`` under ``out_dir`` atomically as a set."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for name, content in sorted(files.items()):
            target = out / name
            if out.resolve() not in target.resolve().parents:
                raise ValueError(f"report file {name!r} would leave the output folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                            dir=target.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            staged.append((temp, target))
        with _signals_held():
            for temp, target in staged:
                os.replace(temp, target)
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.unlink(temp)
    return [target for _, target in staged]


def write_reports(out_dir, results, runs=(), *, interrupted=False, meta=None):
    """results.csv, summary.csv, graphs.csv, curves.csv, report.html (and the
    plots) as one set. ``runs`` are the CaseRuns, for their tables and figures."""
    from .html import render_page
    from .tables import results_frame, side_tables, summary_frame, to_csv_text
    files = {
        "results.csv": to_csv_text(results_frame(results)),
        "summary.csv": to_csv_text(summary_frame(results)),
    }
    for name, frame in side_tables(runs).items():
        files[f"{name}.csv"] = to_csv_text(frame)
    cases = [run.case for run in runs if run.case is not None]
    files["report.html"] = render_page(results, cases, interrupted=interrupted, runs=runs,
                                       files=files)
    files["manifest.json"] = json.dumps(dict(meta or {}, interrupted=interrupted,
                                             files=sorted(files)), indent=2, sort_keys=True)
    return write_set(out_dir, files)
