"""Reading a query's first row, one value, or its rows as records. DuckDB 2.0 keeps a result open until a fetch has returned no more
rows, and refuses any other work on the connection meanwhile ("connection has an unfinished
result"); `execute(...).fetchone()` leaves it open there. These read the result to its end, which
works the same on DuckDB 1.5."""

from typing import Any

import duckdb


def first_row(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> tuple | None:
    rows = con.execute(sql, parameters).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> Any:
    """The first column of the first row (of a query that returns one, such as an aggregate)."""
    return con.execute(sql, parameters).fetchall()[0][0]


def fetch_records(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> list[dict[str, Any]]:
    """Every row as a dict keyed by column name."""
    relation = con.execute(sql, parameters)
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row)) for row in relation.fetchall()]
