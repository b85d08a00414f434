"""One transaction, retried when a concurrent writer got there first.

A DuckDB file has one writer at a time, so this never retries there. A DuckLake has many: two
transactions that write the same table conflict at commit, and the loser must start again from the
new snapshot. Every write of the warehouse is idempotent (it compares with what is there), so
running the body again writes only what the other writer did not."""

import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

from warehouse.errors import WarehouseError
from warehouse.location import redact

T = TypeVar("T")

CONFLICT_ATTEMPTS = 8


class WriteConflictError(WarehouseError):
    """Concurrent writers kept winning; nothing of this transaction was written."""


def is_write_conflict(error: BaseException) -> bool:
    text = str(error)
    # DuckLake's optimistic concurrency, and a SQLite catalog busy with another writer's commit.
    return isinstance(error, duckdb.Error) and ("Transaction conflict" in text or "database is locked" in text)


def in_transaction(con: duckdb.DuckDBPyConnection, body: Callable[[], T], *, what: str) -> T:
    """Run body() inside BEGIN … COMMIT; on a write conflict roll back and run it again."""
    delay = 0.05
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        con.begin()
        try:
            result = body()
            con.commit()
            return result
        except BaseException as error:
            _rollback_quietly(con)
            if not is_write_conflict(error):
                raise
            if attempt == CONFLICT_ATTEMPTS:
                raise WriteConflictError(
                    f"{what}: another process kept writing the warehouse at the same time ({attempt} attempts); "
                    f"nothing was written. Run again when the other load has finished. Last conflict: "
                    f"{redact(str(error).splitlines()[-1])}"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    # A failed COMMIT has already ended the transaction; ROLLBACK then has nothing to undo.
    try:
        con.rollback()
    except duckdb.Error:
        pass
