"""Staging a GENESIS flat file in a scratch DuckDB file next to the batch: read it once, straight
into a typed table of codes and values, with the flat file contract checked inside that read, and
write the batch as Parquet.

The scratch database lives on disk with a memory limit, so a file of tens of millions of rows is
staged in bounded memory (DuckDB spills to its temp directory)."""

from datetime import date
from pathlib import Path

import duckdb

from schemas.measures import MEASURES
from warehouse.parameters import execute, set_option
from warehouse.results import first_row, scalar
from warehouse.sql_files import SqlText, identifier, identifiers, literal, read_sql, render_sql


def open_scratch(
    path: Path, memory_limit: str, *, in_memory: bool = False, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    # A database file for a big flat file: its tables are compressed, so it spills far less
    # (measured 1M rows at a 200MB limit: 2.8-3.5 s on file, 5-6 s in memory). A small one stays in
    # memory: no file to create, checkpoint and remove (0.03 s of 0.18 s for 37,728 rows).
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:" if in_memory else str(path))
    set_option(con, "memory_limit", memory_limit)
    if threads:  # a share of the machine, when other stagings run beside this one
        set_option(con, "threads", threads)
    set_option(con, "temp_directory", str(path) + ".tmp")
    return con


def define_flat_file(
    con: duckdb.DuckDBPyConnection, csv_path: Path, header: list[str], keep: list[str], max_line_bytes: int
) -> None:
    """View flat_file: the `keep` columns of the file, all as text. Reading happens when it is queried;
    a line longer than max_line_bytes stops it (DuckDB holds a whole line in memory)."""
    spec = SqlText("{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in header) + "}")  # a struct of literals
    con.execute(
        render_sql(
            "staging/flat_file",
            path=literal(str(csv_path)),
            columns=identifiers(keep),
            spec=spec,
            max_line_size=SqlText(int(max_line_bytes)),
        )
    )


def has_rows(con: duckdb.DuckDBPyConnection) -> bool:
    return scalar(con, "SELECT EXISTS (SELECT 1 FROM flat_file)")


def distinct_codes(con: duckdb.DuckDBPyConnection, columns: list[str], sample_rows: int | None) -> dict[str, list[str]]:
    """The non-NULL values of each column, in the first `sample_rows` rows (None: all rows)."""
    if not columns:
        return {}
    source = f"(SELECT * FROM flat_file LIMIT {int(sample_rows)})" if sample_rows else "flat_file"
    lists = ", ".join(f"list(DISTINCT {identifier(c)}) FILTER (WHERE {identifier(c)} IS NOT NULL)" for c in columns)
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
        render_sql(
            "staging/flat_file_rows",
            variables_ok=variable_codes_predicate(variable_codes),
            country_column=identifier(country_column),
            goods_column=SqlText(f"coalesce({identifier(goods_column)}, '')" if goods_column else "''"),
            month_column=identifier(month_column),
            quality_column=identifier(quality_column) if quality_column else SqlText("CAST(NULL AS VARCHAR)"),
        )
    )


def contract(name: str) -> SqlText:
    """A contract predicate as warehouse.contracts wrote it to warehouse/staging/contracts/<name>.sql
    from the pandera models (schemas.sql_predicate); reading it needs no pandera."""
    text = read_sql(f"staging/contracts/{name}")
    return SqlText("\n".join(line for line in text.splitlines() if not line.startswith("--")).strip())


def variable_codes_predicate(expected: dict[str, str | None]) -> SqlText:
    """Every row names the variable its group was found with (or none)."""
    terms = [
        f"({identifier(column)} IS NULL" + (f" OR {identifier(column)} = {literal(code)})" if code else ")")
        for column, code in expected.items()
    ]
    return SqlText("(" + " AND ".join(terms or ["true"]) + ")")


def type_observations(con: duckdb.DuckDBPyConnection, contract: SqlText) -> int:
    """The one read of the file into staged_flat_observations. Returns the rows that break `contract`."""
    # CASE expressions, not bound parameters: DuckDB looks a key up in a struct only by a constant.
    measures = MEASURES.values()
    factor = "CASE measure " + " ".join(f"WHEN {literal(m.code)} THEN {int(m.factor)}" for m in measures) + " END"
    base_unit = "CASE measure " + " ".join(f"WHEN {literal(m.code)} THEN {literal(m.base_unit)}" for m in measures) + " END"
    con.execute(
        render_sql(
            "staging/observations",
            contract=contract,  # generated from the models, of quoted identifiers and literals
            factor=SqlText(factor),
            base_unit=SqlText(base_unit),
        )
    )
    return scalar(con, read_sql("staging/contract_rejects"))


def index_text_rows(con: duckdb.DuckDBPyConnection) -> None:
    """flat_file_rows_indexed: the text rows with their position, for reporting what broke the contract."""
    con.execute(read_sql("staging/flat_file_rejects"))


def define_batch(con: duckdb.DuckDBPyConnection, table_code: str, goods_variable: str) -> None:
    """Views staged_batch (what the Parquet batch holds) and staged_flat_observations_check (what pandera checks)."""
    con.execute(render_sql("staging/observations_check", table_code=literal(table_code), goods_variable=literal(goods_variable)))


def observations_rejects(con: duckdb.DuckDBPyConnection, next_month: date) -> int:
    """The staged rows that break the Observations contract, in SQL."""
    return scalar(con, render_sql("staging/observations_rejects", contract=contract("observations")), {"next_month": next_month})


def years_outside(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> tuple[int, int | None, int | None]:
    """(values, first year, last year) of the staged rows outside first_year..last_year."""
    return first_row(con, read_sql("staging/years_outside"), {"first_year": first_year, "last_year": last_year})


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(read_sql("staging/duplicate_keys")).fetchall()


def write_batch(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    execute(con, read_sql("staging/batch"), {"path": str(path)})
    return scalar(con, "SELECT count(*) FROM staged_flat_observations")
