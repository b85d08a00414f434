"""Staging a GENESIS flat file in a scratch DuckDB file next to the archive: read it once as text,
pick the dimension columns by code, type the values exactly, and write the batch as Parquet.

The scratch database lives on disk with a memory limit, so a file of tens of millions of rows is
staged in bounded memory (DuckDB spills to its temp directory)."""

from pathlib import Path

import duckdb

from schemas.measures import MEASURES
from warehouse.sql_files import read_sql


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_scratch(path: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
    con.execute(f"SET temp_directory = {quote_literal(str(path) + '.tmp')}")
    return con


def read_flat_file(con: duckdb.DuckDBPyConnection, csv_path: Path, header: list[str], keep: list[str]) -> int:
    """Create table flat_file with the `keep` columns of the file (all read as text); returns its rows."""
    spec = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    columns = ", ".join(quote_identifier(c) for c in keep)
    con.execute(read_sql("staging/flat_file").format(columns=columns, spec=spec), {"path": str(csv_path)})
    return con.execute("SELECT count(*) FROM flat_file").fetchone()[0]


def distinct_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str | None]:
    return [row[0] for row in con.execute(f"SELECT DISTINCT {quote_identifier(column)} FROM flat_file").fetchall()]


def define_rows(
    con: duckdb.DuckDBPyConnection, *, country_column: str, goods_column: str | None, month_column: str, quality_column: str | None
) -> None:
    con.execute(
        read_sql("staging/flat_file_rows").format(
            country_column=quote_identifier(country_column),
            goods_column=f"coalesce({quote_identifier(goods_column)}, '')" if goods_column else "''",
            month_column=quote_identifier(month_column),
            quality_column=quote_identifier(quality_column) if quality_column else "CAST(NULL AS VARCHAR)",
        )
    )


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(read_sql("staging/duplicate_keys")).fetchall()


def type_observations(con: duckdb.DuckDBPyConnection, table_code: str, goods_variable: str) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE measure_units AS SELECT * FROM (VALUES "
        + ", ".join(f"({quote_literal(m.code)}, {quote_literal(m.base_unit)}, {m.factor})" for m in MEASURES.values())
        + ") AS t(measure, base_unit, factor)"
    )
    con.execute(read_sql("staging/observations"), {"table_code": table_code, "goods_variable": goods_variable})
    con.execute(read_sql("staging/observations_check"))


def write_batch(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT * EXCLUDE (row_index) FROM staged_flat_observations) TO {quote_literal(str(path))} (FORMAT parquet)"
    )
    return con.execute("SELECT count(*) FROM staged_flat_observations").fetchone()[0]
