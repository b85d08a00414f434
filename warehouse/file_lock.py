"""An exclusive lock on a file, waited for up to a timeout. flock: released when the file is
closed, also when the process dies, so a crash never leaves a stale lock."""

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def exclusive_file_lock(
    path: Path, timeout: float, timeout_error: Callable[[str], Exception], poll_seconds: float = 0.05
) -> Iterator[IO[str]]:
    """Hold an exclusive lock on `path` (created if missing); yields the open file, for the holder to
    describe itself in. After `timeout` seconds raises timeout_error(what the holder wrote)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    raise timeout_error(handle.read().strip()) from None
                time.sleep(poll_seconds)
        yield handle
