"""Stopping a run that is waiting: one process-wide event, set by SIGTERM/SIGINT, that every wait of
the pipeline watches (GENESIS back-off and Retry-After, job polling, request slots).

Signal handlers run in the main thread only, while the waits run in fetch worker threads: a plain
time.sleep there would hold a stopped run (and its update lock) until the sleep ends. wait() ends
within WAKE_SECONDS of request_stop() and raises Stopped, an ExportwatchError, so the run unwinds
like any other failure: the lock is released and the warehouse stays as it was.

Once a run's load has committed (defer_interrupts), a signal only requests the stop: the steps after
the load (alerts, snapshot, report) look at check() between them and in their waits, and the run
ends as a Failed flow run that says the data was loaded (StoppedAfterLoad), not as an interrupted,
"Crashed" one.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flows.errors import ExportwatchError, LoadedButFailed

# Event.wait wakes at once when the event is set; this is only the longest a wait that polls
# something else (a lock, a semaphore) goes without looking at the event.
WAKE_SECONDS = 0.2

_stop = threading.Event()
_reason = "a stop was requested"
_deferred = threading.Event()  # set: a signal requests a stop and raises nothing (defer_interrupts)


class Stopped(ExportwatchError):
    """The run was asked to stop (SIGTERM, Ctrl-C) while it waited."""


class StoppedAfterLoad(Stopped, LoadedButFailed):
    """The run was asked to stop after its load committed; the text begins with errors.LOADED."""


def request_stop(reason: str = "a stop was requested") -> None:
    """Make every current and later wait() raise Stopped. Safe to call from a signal handler."""
    global _reason
    _reason = reason
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def check() -> None:
    """Raise Stopped if a stop was requested."""
    if _stop.is_set():
        raise Stopped(f"Stopped: {_reason}.")


def wait(seconds: float) -> None:
    """Sleep up to `seconds`; raise Stopped at once when a stop is (or was) requested."""
    check()
    if seconds > 0 and _stop.wait(seconds):
        check()


def reset() -> None:
    """Forget a stop request: for a process that runs again after a stop (tests, a long-lived worker)."""
    _stop.clear()


def reason() -> str:
    return _reason


def defer_interrupts() -> None:
    """From now until the end of the current stop_on_signals, SIGTERM and SIGINT only request a stop:
    the load has committed, and the steps after it stop at their next check() with a clear state
    instead of being cut off by KeyboardInterrupt wherever they are."""
    _deferred.set()


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT request a stop and then go on to the handler that was there
    before (Prefect's SIGTERM bridge, Python's KeyboardInterrupt, a CLI's own), unless
    defer_interrupts() was called inside. Outside the main thread, where no handler can be
    installed, it does nothing."""
    _deferred.clear()
    if threading.current_thread() is not threading.main_thread():
        try:
            yield
        finally:
            _deferred.clear()
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        request_stop(f"{signal.Signals(signum).name} received")
        if _deferred.is_set():
            return
        before = previous[signum]
        if callable(before):
            before(signum, frame)
        else:  # SIG_DFL would end the process at once, before the waits let go of the lock
            check()

    for signum in signals:
        if signal.getsignal(signum) != signal.SIG_IGN:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        _deferred.clear()
        for signum, before in previous.items():
            signal.signal(signum, before)
