"""Cases in worker processes: a hard time limit and a memory cap per case.

SymPy can run for ever on some inputs, and a flag checked between steps
cannot stop a call that never returns. So each case runs in a worker
process; a case over its time limit has its worker ended (SIGKILL) and
replaced, and becomes an ``error`` row saying which limit it hit. Workers
ignore Ctrl-C: the parent stops them, so an interrupted run ends promptly.
Results come back in the order the cases were given, whatever the number
of workers, so ``--jobs 2`` writes what ``--jobs 1`` writes.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import signal
import time
from dataclasses import replace
from multiprocessing.connection import wait
from multiprocessing.reduction import ForkingPickler

import sympy
from sympy.core.function import Application, UndefinedFunction

from verify.checks.case import limit_row, run_case
from verify.core.result import exception_text
from verify.input.expressions import allow_deep_recursion
from verify.report.writer import draw_where_run, shown_whatever_status

IN_FLIGHT = 2  # jobs sent ahead to each worker
PREFETCH_BYTES = 16 * 1024  # a job sent ahead must fit the pipe: the worker is not reading


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def address_space() -> int:
    """This process's virtual size in bytes now (Linux), 0 where it is not known."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def memory_cap(megabytes) -> int:
    """The address-space cap of a worker: what it holds when it starts plus
    ``megabytes``. A forked worker starts with its parent's address space, so
    torch or jax imported there (gigabytes of mappings) count against nothing."""
    return address_space() + megabytes * 1024 * 1024


def _limit_memory(megabytes):
    try:
        import resource  # POSIX only: elsewhere a worker runs without the cap
        limit = memory_cap(megabytes)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)  # a process may lower its hard limit, never raise it
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not every platform lets a process cap itself


def start_worker(options) -> None:
    """What every worker process does first: leave Ctrl-C to the parent, cap
    its memory (``--memory-mb`` above what it holds at the start, see
    :func:`memory_cap`), and allow the deep recursion that deep expressions need."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(options.memory_mb)
    allow_deep_recursion()  # a spawned worker parses nothing, yet its cases may be deep


def _rebuilt(kind, args):
    return kind(*args, evaluate=False)


class _WirePickler(ForkingPickler):
    """Pickles SymPy sums, products, powers and function calls as their class
    and arguments, rebuilt without evaluation: the default rebuild evaluates
    every node again through SymPy's assumptions (about 2.5 s for 300 nested
    functions in a fresh process, the parent's whole share of a run). The
    tree was evaluated when it was built, so the same arguments give the same
    tree, node for node."""

    def reducer_override(self, obj):
        kind = type(obj)
        if kind is sympy.Add or kind is sympy.Mul or kind is sympy.Pow or (
                isinstance(obj, Application) and not isinstance(kind, UndefinedFunction)):
            return _rebuilt, (kind, obj.args)
        return NotImplemented


def dumps(obj) -> bytes:
    """``obj`` pickled for a worker pipe (see :class:`_WirePickler`)."""
    buffer = io.BytesIO()
    _WirePickler(buffer, pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def send(connection, obj) -> None:
    """``connection.send(obj)`` with the cheap SymPy rebuild (see :func:`dumps`)."""
    connection.send_bytes(dumps(obj))


def jobs_from(connection):
    """The jobs the parent sends, until it sends None or the pipe closes."""
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        yield job


def _worker(connection, options):
    start_worker(options)
    for index, case, shown in jobs_from(connection):
        if isinstance(case, bytes):  # as its loading worker pickled it
            case = pickle.loads(case)
        try:
            # figures are drawn here, in parallel, not serially by the parent's report
            outcome = draw_where_run(run_case(case, options), shown, index)
        except MemoryError:
            outcome = limit_row(case, f"memory limit: the case needed more than "
                                      f"{options.memory_mb} MB (--memory-mb)")
        send(connection, (index, without_case(outcome)))


def without_case(outcome):
    """A CaseRun to send back: the parent has the case already."""
    return replace(outcome, case=None)


class Worker:
    """A child process running ``target(connection, options, *extra)``, and its pipe."""

    def __init__(self, context, options, target, *extra):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=target, args=(child, options, *extra), daemon=True)
        self.process.start()
        child.close()

    def close(self):
        """Tell the worker there is no more work (None), then end it."""
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.end()

    def end(self):
        try:
            if self.process.is_alive():
                os.kill(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass
        self.process.join(timeout=5)
        self.connection.close()


class _Slot(Worker):
    """A case worker and the jobs sent to it: the first is running, the next
    waits in the pipe, so the worker starts it without waiting for the parent
    (on a busy machine the parent's wake-up would otherwise idle the worker)."""

    def __init__(self, context, options):
        super().__init__(context, options, _worker)
        self.jobs = []
        self.deadline = None

    @property
    def job(self):
        return self.jobs[0] if self.jobs else None

    def give(self, index, case, timeout, shown=False, wire=None) -> bool:
        """Send the job, unless it must wait: a job sent ahead that could fill
        the pipe would block the parent while the worker blocks sending its
        result (a deadlock), so a large one waits for an idle worker. ``wire``:
        the case as its loading worker pickled it, sent instead of pickling it again."""
        payload = dumps((index, case if wire is None else wire, shown))
        if self.jobs and len(payload) > PREFETCH_BYTES:
            return False
        if not self.jobs:
            self.deadline = time.monotonic() + timeout if timeout else None
        self.jobs.append((index, case))
        self.connection.send_bytes(payload)
        return True

    def done(self, timeout):
        """The running job finished: the next one (already started) is timed from now."""
        self.jobs.pop(0)
        self.deadline = time.monotonic() + timeout if timeout and self.jobs else None


def run_in_workers(cases, options, *, jobs, wire=None):
    """Yield one CaseRun per case, in order, from ``jobs`` worker processes.
    ``wire`` maps a case id to ``(case, bytes)`` from its loading worker: the
    bytes are sent for that very case object only."""
    wire = wire or {}
    context = _context()
    shown = shown_whatever_status(cases)
    pending = list(enumerate(cases))[::-1]
    slots = [_Slot(context, options) for _ in range(min(jobs, len(cases)))]
    finished, next_index = {}, 0
    try:
        while next_index < len(cases):
            for slot in slots:
                while len(slot.jobs) < IN_FLIGHT and pending:
                    index, case = pending[-1]
                    held, sent = wire.get(case.id, (None, None))
                    try:
                        if not slot.give(index, case, options.timeout, index in shown,
                                         sent if held is case else None):
                            break
                    except Exception as exc:  # noqa: BLE001 - a case that cannot be pickled
                        finished[index] = limit_row(case, "the case could not be sent to a "
                                                          f"worker: {exception_text(exc)}")
                    pending.pop()
            busy = [s for s in slots if s.job is not None]
            deadlines = [s.deadline for s in busy if s.deadline is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            # no worker busy (the cases left could not be sent): nothing to wait for
            ready = wait([s.connection for s in busy], timeout=wait_for) if busy else []
            for slot in list(slots):
                if slot.job is None:
                    continue
                index, case = slot.job
                if slot.connection in ready:
                    try:
                        got_index, outcome = slot.connection.recv()
                        finished[got_index] = replace(outcome, case=case)
                        slot.done(options.timeout)
                        continue
                    except (EOFError, OSError):
                        message = ("the worker running this case died (it may have exceeded "
                                   f"the memory limit of {options.memory_mb} MB)")
                elif slot.deadline is not None and time.monotonic() >= slot.deadline:
                    message = (f"time limit: the case ran longer than {options.timeout:g} s "
                               "and was stopped (--timeout)")
                else:
                    continue
                finished[index] = limit_row(case, message)
                pending.extend(reversed(slot.jobs[1:]))  # not started: they go to the next worker
                slot.end()
                slots[slots.index(slot)] = _Slot(context, options)
            while next_index in finished:
                yield finished.pop(next_index)
                next_index += 1
    finally:
        for slot in slots:
            slot.close()
