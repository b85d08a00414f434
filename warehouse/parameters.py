"""Statements with bound parameters, without DuckDB's Python value conversion.

DuckDB's Python client imports pandas, numpy and pyarrow the first time it converts a Python value
for a parameter (duckdb/duckdb#11871, duckdb/duckdb-python#300): 0.3 s of a 1-second
`exportwatch load`, for a query that binds one date. Here the statement is prepared as written
(`$name` or `?`, so DuckDB still binds and types the parameters) and executed with every value
written as a typed SQL literal of the type DuckDB's own conversion gives it
(tests/test_parameters.py compares the two)."""

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import duckdb

from schemas.sql_predicate import quote_identifier, quote_literal
from warehouse.sql_files import SqlText

STATEMENT = "exportwatch_statement"  # one per connection, replaced by the next; left prepared (harmless)
Parameters = Mapping[str, object] | Sequence[object] | None


def execute(con: duckdb.DuckDBPyConnection, sql: str, parameters: Parameters = None) -> duckdb.DuckDBPyConnection:
    """con.execute(sql, parameters), the result on `con` as usual; `sql` is one statement."""
    if not parameters:
        return con.execute(sql)
    con.execute(f"PREPARE {STATEMENT} AS {sql}")
    return con.execute(f"EXECUTE {STATEMENT}({arguments(parameters)})")


def set_option(con: duckdb.DuckDBPyConnection, name: str, value: object) -> None:
    """SET name = value: a SET statement cannot be prepared in SQL, and takes a constant."""
    con.execute(f"SET {quote_identifier(name)} = {sql_value(value)}")


def execute_many(con: duckdb.DuckDBPyConnection, sql: str, rows: Iterable[Parameters]) -> None:
    """con.executemany(sql, rows): the statement prepared once, executed once per row."""
    prepared = False
    for row in rows:
        if not prepared:
            con.execute(f"PREPARE {STATEMENT} AS {sql}")
            prepared = True
        con.execute(f"EXECUTE {STATEMENT}({arguments(row)})")


def arguments(parameters: Parameters) -> str:
    """The argument list of EXECUTE: `name := value, ...` or `value, ...`."""
    if isinstance(parameters, Mapping):
        return ", ".join(f"{quote_identifier(name)} := {sql_value(value)}" for name, value in parameters.items())
    return ", ".join(sql_value(value) for value in parameters or ())


def value_literal(value: object) -> SqlText:
    """`value` for a {{slot}} of a statement SQL's PREPARE does not take (CREATE ... AS ...)."""
    return SqlText(sql_value(value))


def sql_value(value: object) -> str:
    """`value` as a SQL literal of the type DuckDB's Python client binds it as."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # INTEGER, BIGINT or HUGEINT by size, as bound
    if isinstance(value, float):
        return f"CAST({quote_literal(repr(value) if math.isfinite(value) else str(value))} AS DOUBLE)"
    if isinstance(value, Decimal):
        return decimal_literal(value)
    if isinstance(value, str):
        return text_literal(value)
    if isinstance(value, datetime):
        kind = "TIMESTAMPTZ" if value.utcoffset() is not None else "TIMESTAMP"
        return f"CAST({quote_literal(value.isoformat(sep=' '))} AS {kind})"
    if isinstance(value, date):
        return f"CAST({quote_literal(value.isoformat())} AS DATE)"
    if isinstance(value, time) and value.tzinfo is None:
        return f"CAST({quote_literal(value.isoformat())} AS TIME)"
    if isinstance(value, timedelta):
        return f"(to_days({value.days}) + to_microseconds({value.seconds * 1_000_000 + value.microseconds}))"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(sql_value(item) for item in value) + "]"
    raise TypeError(f"cannot bind a {type(value).__name__} as a parameter (warehouse/parameters.py)")


def text_literal(text: str) -> str:
    """A VARCHAR literal; a NUL character, which ends a statement's text, is spliced in with chr(0)."""
    if "\0" not in text:
        return quote_literal(text)
    return "(" + " || chr(0) || ".join(quote_literal(part) for part in text.split("\0")) + ")"


def decimal_literal(value: Decimal) -> str:
    """DECIMAL(width, scale) of the value's own digits, as bound; DOUBLE beyond DuckDB's 38 digits."""
    if not value.is_finite():
        return f"CAST({quote_literal(str(value).lower())} AS DOUBLE)"
    sign, digits, exponent = value.as_tuple()
    scale = max(0, -exponent)
    width = max(len(digits) + max(0, exponent), scale + 1)
    if width > 38:
        return f"CAST({quote_literal(str(value))} AS DOUBLE)"
    return f"CAST({quote_literal(format(value, 'f'))} AS DECIMAL({width}, {scale}))"
