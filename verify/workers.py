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

import multiprocessing
import os
import signal
import time
from multiprocessing.connection import wait

MEMORY_LIMIT_MB = 4096


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _limit_memory(megabytes):
    try:
        import resource
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not every platform lets a process cap itself


def _worker(connection, options):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(options.memory_mb)
    from .expressions import allow_deep_recursion
    from .runner import limit_row, run_case
    allow_deep_recursion()  # a spawned worker parses nothing, yet its cases may be deep
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index, case = job
        try:
            outcome = run_case(case, options)
        except MemoryError:
            outcome = limit_row(case, f"memory limit: the case needed more than "
                                      f"{options.memory_mb} MB (--memory-mb)")
        connection.send((index, _without_case(outcome)))


def _without_case(outcome):
    from dataclasses import replace
    return replace(outcome, case=None)


class _Slot:
    def __init__(self, context, options, target=None):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=target or _worker, args=(child, options),
                                       daemon=True)
        self.process.start()
        child.close()
        self.job = None
        self.deadline = None

    def give(self, index, case, timeout):
        self.job = (index, case)
        self.deadline = time.monotonic() + timeout if timeout else None
        self.connection.send((index, case))

    def end(self):
        try:
            if self.process.is_alive():
                os.kill(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass
        self.process.join(timeout=5)
        self.connection.close()


def run_in_workers(cases, options, *, jobs):
    """Yield one CaseRun per case, in order, from ``jobs`` worker processes."""
    from dataclasses import replace

    from .runner import limit_row
    context = _context()
    pending = list(enumerate(cases))[::-1]
    slots = [_Slot(context, options) for _ in range(min(jobs, len(cases)))]
    finished, next_index = {}, 0
    try:
        while next_index < len(cases):
            for slot in slots:
                if slot.job is None and pending:
                    index, case = pending.pop()
                    slot.give(index, case, options.timeout)
            busy = [s for s in slots if s.job is not None]
            deadlines = [s.deadline for s in busy if s.deadline is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([s.connection for s in busy], timeout=wait_for)
            for slot in list(slots):
                if slot.job is None:
                    continue
                index, case = slot.job
                if slot.connection in ready:
                    try:
                        got_index, outcome = slot.connection.recv()
                        finished[got_index] = replace(outcome, case=case)
                        slot.job = None
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
                slot.end()
                slots[slots.index(slot)] = _Slot(context, options)
            while next_index in finished:
                yield finished.pop(next_index)
                next_index += 1
    finally:
        for slot in slots:
            try:
                slot.connection.send(None)
            except (OSError, ValueError):
                pass
            slot.end()
