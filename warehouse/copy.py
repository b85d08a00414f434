"""Moving a warehouse between backends (a DuckDB file <-> a DuckLake), every table, verified.

The target is created with the same migrations and views, then filled in one transaction; the copy
is checked row for row (EXCEPT ALL both ways), so a copy that reports success is the same warehouse."""

from dataclasses import dataclass

import duckdb

from warehouse.connection import attach_clause, load_lake_extensions, open_warehouse
from warehouse.errors import WarehouseError
from warehouse.location import WarehouseLocation
from warehouse.parameters import execute
from warehouse.results import first_row, scalar
from warehouse.sql_files import SqlText, identifier, identifiers, render_sql
from warehouse.transactions import in_transaction

SOURCE = "copy_source"
DATA_TABLES = ("observations", "raw_responses", "update_runs")


class CopyError(WarehouseError):
    """The copy was refused or did not verify; the target was left as it was."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def copy_warehouse(source: WarehouseLocation, target: WarehouseLocation, *, memory_limit: str | None = None) -> list[CopiedTable]:
    if source.url == target.url:
        raise CopyError(f"Source and target are the same warehouse ({source}).")
    if not source.exists():
        raise CopyError(f"No warehouse at {source} to copy.")
    with open_warehouse(target, memory_limit=memory_limit) as con:
        if source.is_lake:
            load_lake_extensions(con, source)
        con.execute(attach_clause(source, SOURCE, read_only=True))
        tables = _tables(con)
        _check_compatible(con, source, target)
        in_transaction(con, lambda: _fill(con, tables), what=f"Copying into {target}")
        copied = [_verify(con, table) for table in tables]
        con.execute(f"DETACH {SOURCE}")
    return copied


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in execute(
            con,
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' ORDER BY table_name",
            [SOURCE],
        ).fetchall()
    ]


def _check_compatible(con: duckdb.DuckDBPyConnection, source: WarehouseLocation, target: WarehouseLocation) -> None:
    target_db = scalar(con, "SELECT current_database()")
    mine = {r[0] for r in con.execute(render_sql("copy/migrations", database=identifier(target_db))).fetchall()}
    theirs = {r[0] for r in con.execute(render_sql("copy/migrations", database=identifier(SOURCE))).fetchall()}
    if mine != theirs:
        raise CopyError(
            f"{source} has migrations {sorted(theirs - mine) or 'none'} that this exportwatch lacks and lacks "
            f"{sorted(mine - theirs) or 'none'}: run `exportwatch update` on it with this version first."
        )
    for table in DATA_TABLES:
        rows = scalar(con, f"SELECT count(*) FROM {identifier(table)}")
        if rows:
            raise CopyError(f"{target} already holds a warehouse ({rows} rows in {table}); copy only into a new, empty one.")


def _fill(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    for table in tables:
        name = identifier(table)
        con.execute(f"DELETE FROM {name}")  # seeded rows (countries, bookkeeping) come from the source too
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {SOURCE}.main.{name}")


def _verify(con: duckdb.DuckDBPyConnection, table: str) -> CopiedTable:
    name = identifier(table)
    columns = identifiers(
        r[0]
        for r in execute(
            con,
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ? ORDER BY column_index",
            [SOURCE, table],
        ).fetchall()
    )
    source = SqlText(f"{identifier(SOURCE)}.main.{name}")  # two quoted identifiers
    source_rows, target_rows, missing, extra = first_row(
        con, render_sql("copy/compare", columns=columns, source=source, target=name)
    )
    if missing or extra or source_rows != target_rows:
        raise CopyError(
            f"The copy of {table} does not match its source: {source_rows} rows there, {target_rows} here, "
            f"{missing} missing, {extra} extra. The target is incomplete; delete it and copy again."
        )
    return CopiedTable(table, target_rows)
