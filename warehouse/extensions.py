"""DuckDB extensions for the DuckLake backend. In production DuckDB downloads them itself; where
there is no network (tests, CI, air-gapped servers) the PyPI wheels `duckdb-extension-<name>`,
built for exactly the pinned DuckDB version, carry the binaries and are installed from disk."""

import importlib
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError


def _wheel_binary(name: str) -> Path | None:
    try:
        package = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        return None
    version = duckdb.__version__
    for folder in package.__path__:
        candidate = Path(folder) / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
        if candidate.exists():
            return candidate
    return None


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """LOAD the extension, installing it first (from its wheel if present, else DuckDB's repository)."""
    try:
        con.execute(f"LOAD {name}")
        return
    except duckdb.Error:
        pass
    binary = _wheel_binary(name)
    try:
        con.execute(f"INSTALL '{binary}'" if binary else f"INSTALL {name}")
        con.execute(f"LOAD {name}")
    except duckdb.Error as error:
        raise WarehouseError(
            f"The DuckDB extension {name!r} (needed for a DuckLake warehouse) is not installed and could not be "
            f"installed: {error}. Install it with `pip install duckdb-extension-{name}=={duckdb.__version__}` "
            f"or give DuckDB network access once."
        ) from None
