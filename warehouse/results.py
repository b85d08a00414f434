"""Reading a query's first row, one value, or all its rows. DuckDB 2.0 keeps a result open until a
fetch has returned no more rows, and refuses any other work on the connection meanwhile
("connection has an unfinished result"); `execute(...).fetchone()` leaves it open there. These read
the result to its end, which works the same on DuckDB 1.5."""

from typing import Any, NamedTuple

import duckdb

from warehouse.parameters import execute


class Rows(NamedTuple):
    """A result's column names and rows; unpacks as (columns, rows)."""

    columns: list[str]
    rows: list[tuple]

    def records(self) -> list[dict[str, Any]]:
        """Every row as a dict keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.rows]


def first_row(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> tuple | None:
    rows = execute(con, sql, parameters).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> Any:
    """The first column of the first row (of a query that returns one, such as an aggregate)."""
    return execute(con, sql, parameters).fetchall()[0][0]


def fetch_rows(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> Rows:
    relation = execute(con, sql, parameters)
    return Rows([d[0] for d in relation.description], relation.fetchall())


def fetch_records(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> list[dict[str, Any]]:
    return fetch_rows(con, sql, parameters).records()
