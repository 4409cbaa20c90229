"""Reading case files and building their cases under the run's limits.

Reading a file (YAML composing) and building a case (parsing expressions,
evaluating points, reading CSV data) can take as long and as much memory as
running one: SymPy can hang on a legal point such as ``sin(exp(exp(20)))``.
So with a time limit (``--timeout``) each file is read in a worker process
with the memory cap, and its cases are built there one after another; the
worker reports each case as it starts (and each key as it is read), so a
case over the time limit is named, with its key, in an ``error`` row, its
worker is ended, and a new worker goes on with the file's next case. The
key being read is written to memory the parent shares with the worker, not
sent: a message per key woke the parent five times a case. The
parent only lists files and collects the built cases, so its memory stays
small whatever the input. With no time limit (``--timeout 0``) the same
steps run in this process.
"""
from __future__ import annotations

import functools
import pickle
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait

import yaml

from verify.checks.compare import Result
from verify.core.result import exception_text
from verify.input.loading import CaseError, line_of, read_nodes
from verify.workers import Worker, _context, dumps, jobs_from, send, start_worker


# What a loading worker reports, in this order per case: Begin, Built; Done when
# its file is finished. The key being read goes to the worker's KeyNote.
@dataclass(frozen=True)
class Begin:
    index: int          # the case's position in its file
    name: str | None
    line: int


@dataclass(frozen=True)
class Built:
    index: int | None   # None: the file itself could not be read
    item: object        # a Case, or the load-error Result row
    # a worker's Case as it pickled it (workers.dumps): the parent reads the
    # Case from it and sends the same bytes on to a case worker, not pickling
    # the tree again (the parent's work is the serial part of a run)
    wire: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Done:
    count: int


def load_error(exc: CaseError, source=None) -> Result:
    """The ``error`` row of a file or case that could not be read or built; its
    case id is the one the case would have had (``group::name``, CASES.md)."""
    group = source.group if source is not None else exc.file
    return Result(file=exc.file, case=exc.case or "", check="load", status="error",
                  message=exc.render(), line=exc.line or 0,
                  case_id=f"{group}::{exc.case}" if exc.case else group)


def _case_name(node) -> str | None:
    """The case's name as written, when it is a plain scalar (for messages only)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == "name" \
                    and isinstance(value_node, yaml.ScalarNode):
                return value_node.value[:100]
    return None


def _internal(exc: BaseException) -> str:
    return f"internal error while reading it: {exception_text(exc, limit=200)}"


KEY_BYTES = 64  # a key's name, as long as any key of CASES.md


class KeyNote:
    """The case (its index in the file) and the key a loading worker is
    reading, in memory shared with the parent, which reads it only once it has
    ended the worker (so it cannot change meanwhile)."""

    def __init__(self, context):
        self.buffer = context.RawArray("c", KEY_BYTES + 24)

    def write(self, index, key) -> None:
        data = str(key or "").encode("utf-8", "replace")[:KEY_BYTES - 1]
        data = data.decode("utf-8", "ignore").encode("utf-8")  # not mid-character
        data = f"{index}\t".encode() + data + b"\0"
        self.buffer[:len(data)] = data

    def read(self, index) -> str | None:
        """The key, if the note is of case ``index`` (else None: not known)."""
        text = bytes(self.buffer).split(b"\0", 1)[0].decode("utf-8", "replace")
        case, _, key = text.partition("\t")
        return (key or None) if case == str(index) else None


def file_entries(job, options, send, note_key=None) -> None:
    """Read one file and build its cases from ``start`` on, reporting with ``send``:
    :class:`Begin`, then :class:`Built` (a Case or an error row) per case;
    ``Built(None, row)`` for a file that cannot be read; :class:`Done` at the
    end. ``note_key(index, key)`` is told each key of the case ``index`` as it
    is read (None as the case begins)."""
    from verify.input import cases  # SymPy: loaded only when a file is read, not at --help
    path, shown, source, start = job
    error = functools.partial(load_error, source=source)
    try:
        nodes = read_nodes(path, shown)
    except CaseError as exc:
        send(Built(None, error(exc.located(file=shown))))
        return send(Done(0))
    except MemoryError:
        send(Built(None, error(CaseError(
            f"memory limit: reading the file needed more than {options.memory_mb} MB "
            "(--memory-mb)", file=shown))))
        return send(Done(0))
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
        send(Built(None, error(CaseError(_internal(exc), file=shown))))
        return send(Done(0))
    for k in range(start, len(nodes)):
        node = nodes[k]
        name = _case_name(node)
        if note_key is not None:
            note_key(k, None)
        send(Begin(k, name, line_of(node)))
        key = [None]

        def reading(current, k=k, key=key):
            key[0] = current
            if note_key is not None:
                note_key(k, current)
        try:
            case = cases.build_case(node, source, allow_outside_data=options.allow_outside_data,
                                    on_key=reading)
            entry = Built(k, case)
        except CaseError as exc:
            entry = Built(k, error(exc.located(file=shown)))
        except MemoryError:
            entry = Built(k, error(CaseError(
                f"memory limit: building the case needed more than {options.memory_mb} MB "
                "(--memory-mb)", file=shown, line=line_of(node), case=name, key=key[0])))
        except Exception as exc:  # noqa: BLE001 - RecursionError, SymPy's TypeError, ...
            entry = Built(k, error(CaseError(
                _internal(exc), file=shown, line=line_of(node), case=name, key=key[0])))
        try:
            send(entry)
        except Exception as exc:  # noqa: BLE001 - a case that cannot be sent back
            send(Built(k, error(CaseError(_internal(exc), file=shown,
                                               line=line_of(node), case=name))))
    send(Done(len(nodes)))


def _load_worker(connection, options, note):
    start_worker(options)

    def report(entry):
        if isinstance(entry, Built) and not isinstance(entry.item, Result):  # a Case
            entry = Built(entry.index, None, wire=dumps(entry.item))
        send(connection, entry)
    for job in jobs_from(connection):
        file_entries(job, options, report, note.write)


def entries_in_process(jobs, options):
    """Each file's reports, read and built here (no time limit)."""
    found = []
    for job in jobs:
        reports = []
        file_entries(job, options, lambda report: isinstance(report, Built)
                     and reports.append(report))
        found.append(reports)
    return found


class _Loading:
    """A worker's current job: the file, the case being built and its key."""

    def __init__(self, index, job, timeout):
        self.index, self.job, self.timeout = index, job, timeout
        self.case = None  # its Begin report once a case begins
        self.key = None
        self.restart()

    def restart(self):
        self.deadline = time.monotonic() + self.timeout if self.timeout else None


class _LoadSlot(Worker):
    """A loading worker and its current :class:`_Loading` job (or None)."""

    def __init__(self, context, options):
        self.note = KeyNote(context)
        super().__init__(context, options, _load_worker, self.note)
        self.job = None


def entries_in_workers(jobs, options, *, workers: int, meanwhile=None):
    """Each file's reports, read and built in worker processes under the
    run's time and memory limits; a case that hits one becomes an error row.
    ``meanwhile()``, if given, runs once in this process while the workers
    read their first files (work of ours that needs no case, done in time
    this process would spend waiting)."""
    context = _context()
    found = [[] for _ in jobs]
    pending = [(index, job) for index, job in enumerate(jobs)][::-1]
    slots = [_LoadSlot(context, options) for _ in range(min(workers, len(jobs)))]
    try:
        while pending or any(slot.job is not None for slot in slots):
            for slot in slots:
                if slot.job is None and pending:
                    index, job = pending.pop()
                    slot.job = _Loading(index, job, options.timeout)
                    send(slot.connection, job)
            if meanwhile is not None:
                meanwhile, work = None, meanwhile
                work()
            busy = [s for s in slots if s.job is not None]
            deadlines = [s.job.deadline for s in busy if s.job.deadline is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([s.connection for s in busy], timeout=wait_for)
            for slot in list(slots):
                loading = slot.job
                if loading is None:
                    continue
                if slot.connection in ready:
                    try:
                        # one report per wake: the next wait finds any other at once
                        # (a poll() after each report was another wait of its own)
                        if _take(slot.connection.recv(), loading, found):
                            slot.job = None
                        continue
                    except (EOFError, OSError):
                        died = True
                elif loading.deadline is not None and time.monotonic() >= loading.deadline:
                    # reports that came after the wait may show the case done, or a
                    # later one begun (its own time then starts)
                    if _drained(slot, loading, found):
                        slot.job = None
                        continue
                    if time.monotonic() < loading.deadline:
                        continue
                    died = False
                else:
                    continue
                slot.end()  # first: the note cannot change while it is read
                loading.key = slot.note.read(loading.case.index) if loading.case else None
                _stopped(loading, _why(died, loading, options), found, pending)
                slots[slots.index(slot)] = _LoadSlot(context, options)
    finally:
        for slot in slots:
            slot.close()
    return found


def _drained(slot, loading, found) -> bool:
    """File the reports a worker sent since the wait; true when its file is done."""
    try:
        while slot.connection.poll():
            if _take(slot.connection.recv(), loading, found):
                return True
    except (EOFError, OSError):
        pass
    return False


def _take(report, loading, found) -> bool:
    """File one report of a worker; true when its file is done."""
    if isinstance(report, Begin):
        loading.case = report
        loading.restart()
    elif isinstance(report, Built):
        if report.wire is not None:
            report = Built(report.index, pickle.loads(report.wire), report.wire)
        found[loading.index].append(report)
        loading.case = None
    return isinstance(report, Done)


def _why(died, loading, options) -> str:
    doing = "reading the file" if loading.case is None else "building the case"
    if died:
        return (f"the worker {doing} died (it may have exceeded the memory limit of "
                f"{options.memory_mb} MB)")
    return f"time limit: {doing} took longer than {options.timeout:g} s and was stopped (--timeout)"


def _stopped(loading, message, found, pending):
    """The error row for what a limit stopped, and the rest of its file queued again."""
    path, shown, source, _ = loading.job
    error = functools.partial(load_error, source=source)
    if loading.case is None:
        found[loading.index].append(Built(None, error(CaseError(message, file=shown))))
        return
    begun = loading.case
    found[loading.index].append(Built(begun.index, error(CaseError(
        message, file=shown, line=begun.line, case=begun.name or f"#{begun.index + 1}",
        key=loading.key))))
    pending.append((loading.index, (path, shown, source, begun.index + 1)))
