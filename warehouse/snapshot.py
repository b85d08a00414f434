"""A read-only copy of the warehouse for readers that must not wait for a running update.

DuckDB lets one process write a file, and while it writes nobody else may open it. The copy is made
by DuckDB from a read-only connection: its shared lock keeps every writer out until the copy is
done, so the copy is one committed state, whatever ran before or waits now (a plain file copy could
catch a writer in the middle, and misses commits still in the WAL). It is written to a new file in
a folder of its own and replaces the previous snapshot atomically: a reader sees the old or the new
one, never a half."""

import os
import shutil
import tempfile
from pathlib import Path

from warehouse.connection import FILE_CONFIG, connect
from warehouse.results import scalar
from warehouse.sql_files import identifier, literal

COPY_ALIAS = "exportwatch_snapshot"


def publish_snapshot(warehouse: Path, snapshot: Path, *, lock_timeout: float = 30.0, memory_limit: str | None = None) -> Path:
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=snapshot.parent, prefix=snapshot.name + ".", suffix=".part"))
    try:
        copy = scratch / snapshot.name
        con = connect(warehouse, read_only=True, lock_timeout=lock_timeout, memory_limit=memory_limit)
        try:
            source = scalar(con, "SELECT current_database()")
            con.execute(
                f"ATTACH {literal(str(copy))} AS {COPY_ALIAS} "
                f"(READ_WRITE, STORAGE_VERSION {literal(FILE_CONFIG['storage_compatibility_version'])})"
            )
            con.execute(f"COPY FROM DATABASE {identifier(source)} TO {COPY_ALIAS}")
            con.execute(f"DETACH {COPY_ALIAS}")  # checkpoints: the file is complete on its own
        finally:
            con.close()
        os.replace(copy, snapshot)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # the folder this call created, with what is left in it
    return snapshot
