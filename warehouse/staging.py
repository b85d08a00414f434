"""Staging a GENESIS flat file inside a scratch DuckDB: read it as text, pick the dimension
columns by code, type the values exactly, and write the batch as Parquet for the load."""

from pathlib import Path

import duckdb
import pandas as pd

from schemas.measures import MEASURES
from warehouse.sql_files import read_sql


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_flat_file(con: duckdb.DuckDBPyConnection, csv_path: Path, columns: list[str]) -> None:
    """Load the file as all-text table flat_file, with the header's columns in order."""
    spec = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for c in columns) + "}"
    con.execute(
        f"CREATE OR REPLACE TABLE flat_file AS SELECT * FROM read_csv(?, delim = ';', header = true, "
        f"auto_detect = false, quote = '\"', escape = '\"', columns = {spec})",
        [str(csv_path)],
    )


def distinct_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str | None]:
    return [row[0] for row in con.execute(f"SELECT DISTINCT {quote_identifier(column)} FROM flat_file").fetchall()]


def select_rows(con: duckdb.DuckDBPyConnection, *, country_column: str, month_column: str, quality_column: str | None) -> pd.DataFrame:
    con.execute(
        read_sql("staging/flat_file_rows").format(
            country_column=quote_identifier(country_column),
            month_column=quote_identifier(month_column),
            quality_column=quote_identifier(quality_column) if quality_column else "CAST(NULL AS VARCHAR)",
        )
    )
    return con.sql("SELECT * FROM flat_file_rows").df()


def type_observations(con: duckdb.DuckDBPyConnection, table_code: str) -> pd.DataFrame:
    con.execute(
        "CREATE OR REPLACE TABLE measure_units AS SELECT * FROM (VALUES "
        + ", ".join(f"('{m.code}', '{m.base_unit}', {m.factor})" for m in MEASURES.values())
        + ") AS t(measure, base_unit, factor)"
    )
    con.execute(read_sql("staging/observations"), {"table_code": table_code})
    return con.sql("SELECT * FROM staged_flat_observations").df()


def write_batch(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY staged_flat_observations TO '{str(path).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    return con.execute("SELECT count(*) FROM staged_flat_observations").fetchone()[0]
