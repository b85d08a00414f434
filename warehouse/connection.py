"""Opening the warehouse file. DuckDB allows one writing process; others fail at once with a lock
error, so we retry for a while and then say clearly who holds the file."""

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from warehouse.migrate import migrate


class WarehouseLockedError(RuntimeError):
    """Another process holds the warehouse file."""


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def connect(path: Path, *, read_only: bool = False, lock_timeout: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to lock_timeout seconds for another process to release it."""
    if read_only and not path.exists():
        raise FileNotFoundError(
            f"No warehouse at {path}: run `exportwatch update` (or `exportwatch demo`) first, or pass --db."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"The warehouse {path} is in use by another process (an update is probably running); "
                    f"gave up after {lock_timeout:g} s. Try again when it has finished, or raise "
                    f"[warehouse] lock_timeout_seconds. DuckDB said: {error}"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def open_warehouse(
    path: Path, *, read_only: bool = False, lock_timeout: float = 30.0, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to an up-to-date warehouse (migrated unless read-only), closed on exit."""
    con = connect(path, read_only=read_only, lock_timeout=lock_timeout)
    try:
        if memory_limit:
            con.execute("SET memory_limit = ?", [memory_limit])
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()
