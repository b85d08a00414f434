"""One update at a time per warehouse. A second run waits up to a timeout for the first, then
stops with a message naming who holds the lock: two runs would only ask GENESIS twice."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flows.errors import TemporaryError
from warehouse.file_lock import exclusive_file_lock


class UpdateRunning(TemporaryError):
    """Another update of the same warehouse is running."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".update-lock")


@contextmanager
def update_lock(warehouse: Path, timeout: float) -> Iterator[None]:
    def running(holder: str) -> UpdateRunning:
        return UpdateRunning(
            f"Another update of {warehouse} is running ({holder or 'another process'}); gave up after {timeout:g} s. "
            f"Let it finish, or raise [warehouse] lock_timeout_seconds."
        )

    with exclusive_file_lock(lock_path(warehouse), timeout, running, poll_seconds=0.2) as handle:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        yield
