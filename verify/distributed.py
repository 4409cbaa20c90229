"""Cases on a Dask cluster (``--dask tcp://HOST:PORT``), with the local limits.

The client sends each case to the cluster as one task and yields the runs
back in the order the cases were given, so the reports are those of a local
run. On the Dask worker the case does not run in the worker's own process:
a nanny's worker is a daemonic process, which multiprocessing refuses to
give children, and a thread cannot be stopped. So each worker thread keeps
a helper, a plain subprocess (``python -m verify.distributed FD``) that runs
:func:`verify.workers._worker`, the loop of a local worker: the same memory
cap (RLIMIT_AS), the same figures drawn where the case ran. The task waits
for the helper's answer until the case's deadline, then kills the helper
(SIGKILL) and makes the case the same ``error`` row as a local run does; the
next case on that thread starts a fresh helper.

Dask is imported only here, only when ``--dask`` is given; the workers need
this version of verify importable (``pip install verify[dask]`` on each).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

CONNECT_TIMEOUT = 30.0   # seconds to reach the scheduler
START_TIMEOUT = 300.0    # seconds for a helper to import verify and SymPy
_HELPERS: dict = {}      # RunOptions -> idle helpers of this worker process
_LOCK = threading.Lock()


class DaskUnavailable(RuntimeError):
    """--dask was given but dask.distributed is not installed, or the
    scheduler cannot be reached."""


def _client(address):
    try:
        from distributed import Client  # optional: verify[dask]
    except ImportError:
        raise DaskUnavailable("--dask needs Dask's distributed scheduler: "
                              "pip install 'verify[dask]'") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {address!r}: "
                              f"{type(exc).__name__}: {exc}") from None


def run_on_dask(cases, options, *, address):
    """Yield one CaseRun per case, in order, from the Dask cluster at ``address``."""
    # Dask workers import this module to run run_on_worker and must stay light
    # (the helpers load SymPy), so the engines are imported where they are used.
    from verify.report.writer import shown_whatever_status
    from verify.checks.case import limit_row
    cases = list(cases)
    shown = shown_whatever_status(cases)
    client = _client(address)
    futures = [client.submit(run_on_worker, index, case, options, index in shown, pure=False)
               for index, case in enumerate(cases)]
    try:
        for case, future in zip(cases, futures):
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker ends one case, not the run
                outcome = limit_row(case, f"the Dask cluster could not run this case: "
                                          f"{type(exc).__name__}: {exc}")
            yield replace(outcome, case=case)
    finally:
        client.cancel([f for f in futures if not f.done()])
        client.close()


def run_on_worker(index, case, options, shown):
    """The Dask task: one case in a helper process of this worker, under the limits."""
    helper = _take(options)
    outcome, healthy = helper.run(index, case, shown, options)
    if healthy:
        _give_back(options, helper)
    else:
        helper.end()
    return outcome


def _take(options):
    with _LOCK:
        idle = _HELPERS.setdefault(options, [])
        if idle:
            return idle.pop()
    return _Helper(options)


def _give_back(options, helper):
    with _LOCK:
        _HELPERS.setdefault(options, []).append(helper)


class _Helper:
    """A subprocess running the local worker loop, spoken to over a socket pair."""

    def __init__(self, options):
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[1])  # this verify, not another install
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "verify.distributed", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)  # a Ctrl-C to the worker's group is the worker's to handle
        theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send(options)
        # the imports take seconds: they must not count against the first case's limit
        if not self.connection.poll(START_TIMEOUT) or self.connection.recv() != "ready":
            self.end()
            raise RuntimeError("the helper process of this Dask worker did not start")

    def run(self, index, case, shown, options):
        """(CaseRun without its case, whether the helper can take another case)."""
        from verify.checks.case import limit_row  # light Dask worker: see run_on_dask
        try:
            self.connection.send((index, case, shown))
            if self.connection.poll(options.timeout or None):
                _, outcome = self.connection.recv()
                return outcome, True
            message = (f"time limit: the case ran longer than {options.timeout:g} s "
                       "and was stopped (--timeout)")
        except (EOFError, OSError):
            message = ("the worker running this case died (it may have exceeded "
                       f"the memory limit of {options.memory_mb} MB)")
        return _without_case(limit_row(case, message)), False

    def end(self):
        try:
            os.kill(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass
        self.process.wait(timeout=10)
        self.connection.close()


def _without_case(run):
    return replace(run, case=None)


def _serve(fd: int) -> None:
    """The helper's side: the options, then the local worker loop until EOF."""
    # the helper, not the Dask worker, loads the engines, before its first case
    from verify.checks import case  # noqa: F401 - the checks load before the first case
    from verify.input import cases
    from verify.exact import symbolic as exact  # noqa: F401 - SymPy loads before the first case
    from verify.report import writer  # noqa: F401
    from verify.workers import _worker
    connection = Connection(fd)
    options = connection.recv()
    connection.send("ready")
    _worker(connection, options)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
