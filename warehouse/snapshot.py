"""A read-only copy of the warehouse for readers that must not wait for a running update.

DuckDB lets one process write a file, and while it writes nobody else may open it. After a
successful run the file is closed (so its WAL is checkpointed) and copied; the copy replaces the
previous snapshot atomically, so a reader sees either the old or the new one, never a half."""

import os
import shutil
import tempfile
from pathlib import Path


def publish_snapshot(warehouse: Path, snapshot: Path) -> Path:
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=snapshot.parent, prefix=snapshot.name, suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(warehouse, tmp)
        os.replace(tmp, snapshot)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return snapshot
