"""Read queries the pipeline and the CLI need, by name."""

from datetime import datetime

import duckdb

from warehouse.batch import Content
from warehouse.results import fetch_records, scalar
from warehouse.sql_files import read_sql


def fetch_state(con: duckdb.DuckDBPyConnection, table_code: str) -> dict[str, datetime]:
    return dict(con.execute(read_sql("queries/fetch_state"), {"table_code": table_code}).fetchall())


def earliest_open_year(con: duckdb.DuckDBPyConnection, table_code: str) -> int | None:
    return scalar(con, read_sql("queries/earliest_open_year"), {"table_code": table_code})


def loaded_responses(con: duckdb.DuckDBPyConnection, sha256s: list[str]) -> set[tuple[str, str]]:
    """(sha256, request_key) of the given bodies that are already in the raw layer."""
    if not sha256s:
        return set()
    return set(con.execute("SELECT sha256, request_key FROM raw_responses WHERE list_contains(?, sha256)", [sha256s]).fetchall())


def loaded_contents(con: duckdb.DuckDBPyConnection, request_keys: list[str]) -> dict[str, list[Content]]:
    """The flat file contents loaded for each of the request keys (where they were kept)."""
    found: dict[str, list[Content]] = {}
    for key, sha256, crc32, size_bytes in con.execute(read_sql("queries/loaded_contents"), {"keys": request_keys}).fetchall():
        found.setdefault(key, []).append(Content(sha256, crc32, size_bytes))
    return found


def changes_at(con: duckdb.DuckDBPyConnection, load_ts: datetime, limit: int = 50) -> list[dict]:
    return fetch_records(con, read_sql("queries/changes_at"), {"load_ts": load_ts, "limit": limit})


def change_counts(con: duckdb.DuckDBPyConnection, load_ts: datetime) -> tuple[int, int, int]:
    """(first publications, revisions, quality-only changes) among the rows the load at load_ts opened."""
    published, revised, quality = con.execute(read_sql("queries/change_counts"), {"load_ts": load_ts}).fetchall()[0]
    return int(published), int(revised), int(quality)


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """Run warehouse/queries/<name>.sql; return column names and rows."""
    relation = con.execute(read_sql(f"queries/{name}"), params or {})
    return [d[0] for d in relation.description], relation.fetchall()
