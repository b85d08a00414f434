"""Opening the warehouse: a DuckDB file, or a DuckLake attached as `exportwatch` and made the
default database, so every query and macro works unchanged on both.

A DuckDB file allows one writing process; others fail at once with a lock error, so we retry for a
while and then say clearly who holds the file. A DuckLake has no such lock: readers see the last
committed snapshot and concurrent writers conflict at commit (see warehouse/transactions.py)."""

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError
from warehouse.extensions import load_extension
from warehouse.file_lock import exclusive_file_lock
from warehouse.location import CATALOGS, WarehouseLocation, redact
from warehouse.migrate import migrate
from warehouse.parameters import set_option
from warehouse.results import scalar
from warehouse.sql_files import literal

LAKE_ALIAS = "exportwatch"
# The oldest storage format DuckDB 1.x and 2.x all read (and DuckDB 1.5's default). DuckDB 2.0 would
# otherwise write its own format, which BI drivers and MotherDuck, still on 1.5, cannot open. It
# applies when the file is created; an existing file keeps the format it has.
FILE_CONFIG = {"storage_compatibility_version": "v0.10.2"}
MAX_COMMAND_LINE = 200  # of a lock holder, as shown in a message


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse file."""


class WarehouseUnavailableError(WarehouseError):
    """The DuckLake catalog or its data path cannot be opened."""


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def _location(where: WarehouseLocation | Path) -> WarehouseLocation:
    return where if isinstance(where, WarehouseLocation) else WarehouseLocation.file(where)


def connect(
    where: WarehouseLocation | Path, *, read_only: bool = False, lock_timeout: float = 30.0, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to lock_timeout seconds for another process to release a file.
    memory_limit ([warehouse] memory_limit) bounds the connection; DuckDB's default is 80 % of RAM."""
    con = _open(_location(where), read_only, lock_timeout)
    if memory_limit:
        try:
            set_option(con, "memory_limit", memory_limit)
        except duckdb.Error:
            con.close()
            raise
    return con


def _open(location: WarehouseLocation, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    if read_only and not location.exists():
        raise FileNotFoundError(
            f"No warehouse at {location}: run `exportwatch update` (or `exportwatch demo`) first, or pass --db."
        )
    if location.is_lake:
        return _attach_lake(location, read_only)
    path = Path(location.url)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=FILE_CONFIG)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            if time.monotonic() >= deadline:
                raise _locked(path, read_only, lock_timeout, error) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def lock_holder(error: duckdb.Error) -> str:
    """'PID n: <its command line>' from DuckDB's lock error ("Conflicting lock is held in
    /usr/bin/python3 (PID 1234) by user ..."), or '' where it names no process."""
    match = re.search(r"held in (.*?) \(PID (\d+)\)", str(error))
    if not match:
        return ""
    pid = match.group(2)
    try:
        command = " ".join(
            Path(f"/proc/{pid}/cmdline").read_bytes()[:MAX_COMMAND_LINE].decode(errors="replace").replace("\0", " ").split()
        )
    except OSError:  # not Linux, or the process has ended
        command = ""
    return redact(f"PID {pid}: {command or match.group(1)}")


def _locked(path: Path, read_only: bool, lock_timeout: float, error: duckdb.Error) -> WarehouseLockedError:
    holder = lock_holder(error)
    who = f"another process ({holder})" if holder else "another process"
    if read_only:
        why = "an update is probably writing it"
    else:
        # Not an update: those wait for each other on the update lock before they open the file.
        why = "a reader that keeps it open (`exportwatch sql`, a notebook, a BI tool) keeps every writer out"
    return WarehouseLockedError(
        f"The warehouse {path} is in use by {who}: {why}. Gave up after {lock_timeout:g} s; try again when it "
        f"has finished, or raise [warehouse] lock_timeout_seconds."
    )


def attach_clause(location: WarehouseLocation, alias: str, *, read_only: bool) -> str:
    """ATTACH statement for the location under `alias` (extensions must be loaded for a DuckLake)."""
    options = ["READ_ONLY"] if read_only else []
    if location.is_lake and location.data_path and not read_only:
        options.append(f"DATA_PATH {literal(location.data_path)}")
    return f"ATTACH {literal(location.url)} AS {alias}" + (f" ({', '.join(options)})" if options else "")


def load_lake_extensions(con: duckdb.DuckDBPyConnection, location: WarehouseLocation) -> None:
    load_extension(con, "ducklake")
    load_extension(con, CATALOGS[location.catalog])


def _attach_lake(location: WarehouseLocation, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    try:
        load_lake_extensions(con, location)
        con.execute(attach_clause(location, LAKE_ALIAS, read_only=read_only))
        con.execute(f"USE {LAKE_ALIAS}")
    except (duckdb.Error, WarehouseError) as error:
        con.close()
        # DuckDB's message may quote the connection string; only the redacted form leaves here.
        raise WarehouseUnavailableError(
            f"Cannot open the DuckLake warehouse {location}: {redact(str(error))}. Check [warehouse] url and "
            f"data_path (the catalog database must exist and be reachable; a password belongs in PGPASSWORD)."
        ) from None
    return con


def forbid_outside_access(con: duckdb.DuckDBPyConnection, location: WarehouseLocation) -> None:
    """After this, a query reads the warehouse and nothing else: no COPY TO, ATTACH or file reads
    elsewhere, and it cannot switch that back. A DuckLake's data files stay readable (its data
    folder is the one allowed directory; its catalog is attached read-only)."""
    if location.is_lake:
        data_path = scalar(con, f"SELECT value FROM ducklake_options('{LAKE_ALIAS}') WHERE option_name = 'data_path'")
        set_option(con, "allowed_directories", [data_path])
    # No extension loads from here on: a query could otherwise autoload one that reaches further.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


@contextmanager
def sqlite_catalog_writer(location: WarehouseLocation, lock_timeout: float) -> Iterator[None]:
    """One writer at a time on a SQLite catalog. SQLite locks the whole file, and two DuckLake
    writers that collide inside it get "database is locked" again and again instead of a clean
    conflict; a SQLite catalog is on one machine, so a file lock beside it serialises them.
    Readers do not take it."""

    def busy(holder: str) -> WarehouseLockedError:
        return WarehouseLockedError(
            f"Another process is writing the DuckLake {location} (its SQLite catalog allows one writer); "
            f"gave up after {lock_timeout:g} s. Try again when it has finished, or raise "
            f"[warehouse] lock_timeout_seconds."
        )

    with exclusive_file_lock(
        location.sqlite_catalog.with_name(location.sqlite_catalog.name + ".writer-lock"), lock_timeout, busy
    ):
        yield


@contextmanager
def open_warehouse(
    where: WarehouseLocation | Path, *, read_only: bool = False, lock_timeout: float = 30.0, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to an up-to-date warehouse (migrated unless read-only), closed on exit."""
    location = _location(where)
    with ExitStack() as stack:
        if location.catalog == "sqlite" and not read_only:
            stack.enter_context(sqlite_catalog_writer(location, lock_timeout))
        con = connect(location, read_only=read_only, lock_timeout=lock_timeout, memory_limit=memory_limit)
        stack.callback(con.close)
        if not read_only:
            migrate(con, lake=location.is_lake)
        yield con
