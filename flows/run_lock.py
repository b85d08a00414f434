"""One update at a time per warehouse. A second run waits up to a timeout for the first, then
stops with a message naming who holds the lock: two runs would only ask GENESIS twice."""

import fcntl
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterator

from flows.errors import ExportwatchError


class UpdateRunning(ExportwatchError):
    """Another update of the same warehouse is running."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".update-lock")


@contextmanager
def update_lock(warehouse: Path, timeout: float) -> Iterator[None]:
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise UpdateRunning(
                        f"Another update of {warehouse} is running ({holder}); gave up after {timeout:g} s. "
                        f"Let it finish, or raise [warehouse] lock_timeout_seconds."
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock; a killed process releases it too
