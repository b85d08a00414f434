"""Staging a GENESIS flat file in a scratch DuckDB file next to the batch: read it once, straight
into a typed table of codes and values, with the flat file contract checked inside that read, and
write the batch as Parquet.

The scratch database lives on disk with a memory limit, so a file of tens of millions of rows is
staged in bounded memory (DuckDB spills to its temp directory)."""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from schemas.measures import MEASURES
from warehouse.results import first_row, scalar
from warehouse.sql_files import quote_identifier, quote_literal, read_sql

if TYPE_CHECKING:  # pandera (with pandas and ibis) is imported only to build or report a contract
    import pandera
    import pandera.ibis


def open_scratch(path: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    # A database file, not an in-memory one: its tables are compressed, so a big file spills far
    # less (measured 1M rows at a 200MB limit: 2.8-3.5 s on file, 5-6 s in memory).
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
    con.execute(f"SET temp_directory = {quote_literal(str(path) + '.tmp')}")
    return con


def define_flat_file(
    con: duckdb.DuckDBPyConnection, csv_path: Path, header: list[str], keep: list[str], max_line_bytes: int
) -> None:
    """View flat_file: the `keep` columns of the file, all as text. Reading happens when it is queried;
    a line longer than max_line_bytes stops it (DuckDB holds a whole line in memory)."""
    spec = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    columns = ", ".join(quote_identifier(c) for c in keep)
    con.execute(
        read_sql("staging/flat_file").format(
            path=quote_literal(str(csv_path)), columns=columns, spec=spec, max_line_size=int(max_line_bytes)
        )
    )


def has_rows(con: duckdb.DuckDBPyConnection) -> bool:
    return scalar(con, "SELECT EXISTS (SELECT 1 FROM flat_file)")


def distinct_codes(con: duckdb.DuckDBPyConnection, columns: list[str], sample_rows: int | None) -> dict[str, list[str]]:
    """The non-NULL values of each column, in the first `sample_rows` rows (None: all rows)."""
    if not columns:
        return {}
    source = f"(SELECT * FROM flat_file LIMIT {int(sample_rows)})" if sample_rows else "flat_file"
    lists = ", ".join(f"list(DISTINCT {quote_identifier(c)}) FILTER (WHERE {quote_identifier(c)} IS NOT NULL)" for c in columns)
    found = first_row(con, f"SELECT {lists} FROM {source}")
    return {column: sorted(codes or []) for column, codes in zip(columns, found)}


def define_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    country_column: str,
    goods_column: str | None,
    month_column: str,
    quality_column: str | None,
    variable_codes: dict[str, str | None],
) -> None:
    con.execute(
        read_sql("staging/flat_file_rows").format(
            variables_ok=variable_codes_predicate(variable_codes),
            country_column=quote_identifier(country_column),
            goods_column=f"coalesce({quote_identifier(goods_column)}, '')" if goods_column else "''",
            month_column=quote_identifier(month_column),
            quality_column=quote_identifier(quality_column) if quality_column else "CAST(NULL AS VARCHAR)",
        )
    )


def contract_predicate(model: "type[pandera.ibis.DataFrameModel]", *, skip: tuple[str, ...] = ("row_index",)) -> str:
    """The model's checks as one SQL predicate over its columns: NULL only where pandera would fail
    the null check, so wrap it in coalesce(..., false). Built from the checks' statistics (the
    pattern of str_matches, the allowed values of isin, the bound of ge, ...), so the model stays the
    only definition. A bound that moves with the date is a named parameter ($next_month)."""
    schema = model.to_schema()
    terms = []
    for name, column in schema.columns.items():
        if name in skip:
            continue
        identifier = quote_identifier(name)
        checks = [check_sql(identifier, check, model.__name__) for check in column.checks]
        if column.nullable:
            terms.append(f"({identifier} IS NULL OR ({' AND '.join(checks) or 'true'}))")
        else:
            terms += [f"{identifier} IS NOT NULL", *checks]
    terms += [dataframe_check_sql(check, model.__name__) for check in schema.checks]
    return "(" + " AND ".join(terms) + ")"


def check_sql(identifier: str, check: "pandera.Check", model_name: str) -> str:
    statistics = check.statistics or {}
    if "pattern" in statistics:
        pattern = statistics["pattern"]
        return f"regexp_matches({identifier}, {quote_literal(pattern if pattern.startswith('^') else '^' + pattern)})"
    if "allowed_values" in statistics:
        return f"{identifier} IN ({', '.join(quote_literal(str(v)) for v in statistics['allowed_values'])})"
    if set(statistics) == {"min_value"} and check.name == "greater_than_or_equal_to":
        return f"{identifier} >= {sql_constant(statistics['min_value'])}"
    if "max_value_parameter" in statistics:
        return f"{identifier} <= ${statistics['max_value_parameter']}"
    raise ValueError(
        f"{model_name}: check {check.name!r} gives no pattern or allowed_values statistics (nor a bound) to check it in SQL"
    )


def dataframe_check_sql(check: "pandera.Check", model_name: str) -> str:
    """A dataframe-wide check: only "column is NULL exactly when another is in values" has a SQL form."""
    statistics = check.statistics or {}
    if {"null_column", "exactly_when_column", "in_values"} <= set(statistics):
        values = ", ".join(quote_literal(str(v)) for v in statistics["in_values"])
        when = quote_identifier(statistics["exactly_when_column"])
        return f"(({quote_identifier(statistics['null_column'])} IS NULL) = coalesce({when} IN ({values}), false))"
    raise ValueError(f"{model_name}: dataframe-wide check {check.name!r} has no SQL form here")


def sql_constant(value: object) -> str:
    if isinstance(value, date):
        return f"DATE {quote_literal(value.isoformat())}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise ValueError(f"no SQL constant for {value!r}")


def contract(name: str) -> str:
    """A contract predicate as warehouse.contracts wrote it to warehouse/staging/contracts/<name>.sql
    (built from the schemas; reading it needs no pandera)."""
    text = read_sql(f"staging/contracts/{name}")
    return "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()


def variable_codes_predicate(expected: dict[str, str | None]) -> str:
    """Every row names the variable its group was found with (or none)."""
    terms = [
        f"({quote_identifier(column)} IS NULL" + (f" OR {quote_identifier(column)} = {quote_literal(code)})" if code else ")")
        for column, code in expected.items()
    ]
    return "(" + " AND ".join(terms or ["true"]) + ")"


def type_observations(con: duckdb.DuckDBPyConnection, contract: str) -> int:
    """The one read of the file into staged_flat_observations. Returns the rows that break `contract`."""
    measures = MEASURES.values()
    factor = "CASE measure " + " ".join(f"WHEN {quote_literal(m.code)} THEN {m.factor}" for m in measures) + " END"
    base_unit = (
        "CASE measure " + " ".join(f"WHEN {quote_literal(m.code)} THEN {quote_literal(m.base_unit)}" for m in measures) + " END"
    )
    con.execute(read_sql("staging/observations").format(contract=contract, factor=factor, base_unit=base_unit))
    return scalar(con, read_sql("staging/contract_rejects"))


def index_text_rows(con: duckdb.DuckDBPyConnection) -> None:
    """flat_file_rows_indexed: the text rows with their position, for reporting what broke the contract."""
    con.execute(read_sql("staging/flat_file_rejects"))


def define_batch(con: duckdb.DuckDBPyConnection, table_code: str, goods_variable: str) -> None:
    """Views staged_batch (what the Parquet batch holds) and staged_flat_observations_check (what pandera checks)."""
    con.execute(
        read_sql("staging/observations_check").format(
            table_code=quote_literal(table_code), goods_variable=quote_literal(goods_variable)
        )
    )


def observations_rejects(con: duckdb.DuckDBPyConnection, next_month: date) -> int:
    """The staged rows that break the Observations contract, in SQL."""
    sql = read_sql("staging/observations_rejects").format(contract=contract("observations"))
    return scalar(con, sql, {"next_month": next_month})


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(read_sql("staging/duplicate_keys")).fetchall()


def write_batch(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(read_sql("staging/batch").format(path=quote_literal(str(path))))
    return scalar(con, "SELECT count(*) FROM staged_flat_observations")
