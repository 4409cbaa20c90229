"""The one runner behind the CLI, the pytest plugin and the Python API.

``load`` turns paths into cases (and located load errors);
:func:`verify.checks.case.run_case` runs one case. ``run_all`` runs
many cases, in this process or in worker processes with a hard time limit
per case (see :mod:`verify.workers`), and returns them in file order.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from verify.checks.case import run_case
from verify.core.result import Result, is_load_error, rows_of
from verify.core.run_options import RunOptions
from verify.building import entries_in_process, entries_in_workers, load_error
from verify.distributed import run_on_dask
from verify.input.files import find_files
from verify.input.loading import CaseError
from verify.workers import run_in_workers

__all__ = ["Loaded", "is_load_error", "load", "rows_of", "run_all"]

# A case's bytes are kept for its case worker up to this size: a tree's pickle
# is a few kilobytes, and the bytes of a case holding data would double the
# parent's memory for little (an array is pickled again at the speed of a copy).
WIRE_KEPT_BYTES = 64 * 1024


@dataclass(frozen=True)
class Loaded:
    """The cases of a run, and the rows for what could not be read, in file order:
    ``order`` holds :class:`~verify.input.cases.Case` objects and load-error
    :class:`~verify.checks.compare.Result` rows."""

    order: tuple = ()
    # {case id: (case, its bytes)}: the cases as their loading workers pickled
    # them, sent on to the case workers as they are (see verify.building.Built)
    wire: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def cases(self):
        return tuple(item for item in self.order if not is_load_error(item))

    @property
    def errors(self):
        return tuple(item for item in self.order if is_load_error(item))

    def select(self, pattern: str | None) -> "Loaded":
        """Only the cases whose id contains ``pattern`` (load errors stay)."""
        if not pattern:
            return self
        return Loaded(tuple(item for item in self.order
                            if is_load_error(item) or pattern in item.id), self.wire)


def load(paths, options: RunOptions = RunOptions(), *, jobs: int | None = None,
         meanwhile=None) -> Loaded:
    """The cases of ``paths`` and the rows of what could not be read or built.

    With a time limit, files are read and cases built in worker processes
    under the run's limits (see :mod:`verify.building`); here only the file
    list is made, so this process stays small whatever the input.
    """
    from verify.input import cases  # noqa: F401 - SymPy loads here (not at --help), before workers fork
    slots, jobs_to_read = [], []
    for path, shown, source, refused in find_files(paths, options.allow_outside_data):
        if refused:
            slots.append(load_error(CaseError(refused, file=shown)))
            continue
        slots.append(len(jobs_to_read))
        jobs_to_read.append((path, shown, source, 0))
    if options.timeout and jobs_to_read:
        workers = jobs if jobs is not None else (os.cpu_count() or 1)
        reports = entries_in_workers(jobs_to_read, options, workers=max(1, workers),
                                     meanwhile=meanwhile)
    else:
        reports = entries_in_process(jobs_to_read, options)
    order, seen, wire = [], {}, {}
    for slot in slots:
        if isinstance(slot, Result):
            order.append(slot)
            continue
        for built in reports[slot]:
            if is_load_error(built.item):
                order.append(built.item)
                continue
            case = built.item
            if case.id in seen:
                order.append(load_error(CaseError(
                    f"duplicate case id '{case.id}' (first at line {seen[case.id]})",
                    file=case.file, line=case.line, case=case.name, key="name")))
                continue
            seen[case.id] = case.line
            order.append(case)
            if built.wire is not None and len(built.wire) <= WIRE_KEPT_BYTES:
                wire[case.id] = (case, built.wire)
    return Loaded(tuple(order), wire)


def run_all(loaded: Loaded, options: RunOptions = RunOptions(), *, jobs: int = 1,
            on_result=None, stop=None, dask: str | None = None):
    """Run every case; yields load-error ``Result`` rows and ``CaseRun`` objects in file order.

    ``jobs`` > 1, or a finite ``options.timeout``, runs cases in worker
    processes (a stuck case is ended, not waited for). ``stop(entry)``
    returning true ends the run early (``--fail-fast``). ``dask`` (a scheduler
    address) runs the cases on that Dask cluster instead (:mod:`verify.distributed`).
    """
    cases = loaded.cases
    if dask:
        done = run_on_dask(cases, options, address=dask)
    elif jobs <= 1 and not options.timeout:
        done = (run_case(case, options) for case in cases)
    else:
        done = run_in_workers(cases, options, jobs=max(1, jobs), wire=loaded.wire)
    done = iter(done)
    for item in loaded.order:
        entry = item if is_load_error(item) else next(done)
        if on_result:
            on_result(entry)
        yield entry
        if stop and stop(entry):
            close = getattr(done, "close", None)
            if close:
                close()
            return
