"""Load validated batches into the warehouse: raw layer, vintage merge, fetch state, run log,
all in one transaction. Loading the same responses again writes nothing."""

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.batch import Batch, FetchRecord
from warehouse.errors import WarehouseError
from warehouse.parameters import execute, execute_many, value_literal
from warehouse.results import first_row, scalar
from warehouse.sql_files import read_sql, render_sql, sql_names
from warehouse.transactions import in_transaction


class DataCheckError(WarehouseError):
    """A data test in warehouse/checks found violations; the load was rolled back."""


@dataclass(frozen=True)
class LoadResult:
    rows_inserted: int
    rows_closed: int
    responses_loaded: int


def load(
    con: duckdb.DuckDBPyConnection,
    batches: list[Batch],
    fetches: list[FetchRecord],
    *,
    run_id: str,
    started_at: datetime,
    load_ts: datetime,
    requests: int,
) -> LoadResult:
    def merge() -> tuple[int, int, int]:
        execute(con, "UPDATE load_serial SET loads = loads + 1, last_load_at = ?", [load_ts])
        new_batches = _register_raw_responses(con, batches, load_ts)
        inserted, closed = _merge_observations(con, new_batches, load_ts)
        _remember_fetches(con, fetches)
        _run_data_checks(con, load_ts)
        status = "loaded" if inserted or closed else "unchanged"
        record_run(con, run_id, started_at, load_ts, status, requests, inserted, closed, None)
        return inserted, closed, len(new_batches)

    inserted, closed, responses = in_transaction(con, merge, what=f"Loading run {run_id}")
    return LoadResult(rows_inserted=inserted, rows_closed=closed, responses_loaded=responses)


def _register_raw_responses(con: duckdb.DuckDBPyConnection, batches: list[Batch], load_ts: datetime) -> list[tuple[int, Batch]]:
    """Insert a raw_responses row per batch not loaded before (same body, same request)."""
    next_id = scalar(con, "SELECT coalesce(max(raw_response_id), 0) + 1 FROM raw_responses")
    registered = []
    for batch in batches:
        raw = batch.raw
        seen = first_row(con, "SELECT 1 FROM raw_responses WHERE sha256 = ? AND request_key = ?", [raw.sha256, raw.request_key])
        if seen:
            continue
        execute(
            con,
            read_sql("load/insert_raw_response"),
            {
                "raw_response_id": next_id,
                "request_key": raw.request_key,
                "table_code": raw.table_code,
                "endpoint": raw.endpoint,
                "request": json.dumps(raw.request, sort_keys=True),
                "fetched_at": raw.fetched_at,
                "sha256": raw.sha256,
                "size_bytes": raw.size_bytes,
                "content_type": raw.content_type,
                "archive_path": raw.archive_path,
                "loaded_at": load_ts,
                "content_sha256": raw.content.sha256 if raw.content else None,
                "content_crc32": raw.content.crc32 if raw.content else None,
                "content_bytes": raw.content.size_bytes if raw.content else None,
            },
        )
        registered.append((next_id, batch))
        next_id += 1
    return registered


def _merge_observations(con: duckdb.DuckDBPyConnection, batches: list[tuple[int, Batch]], load_ts: datetime) -> tuple[int, int]:
    if not batches:
        return 0, 0
    if _all_new(con, [batch for _, batch in batches]):
        inserted = 0
        for raw_id, batch in batches:
            source = {"raw_response_id": raw_id, "path": str(batch.observations), "load_ts": load_ts}
            inserted += int(scalar(con, read_sql("load/insert_batch"), source))
        return inserted, 0
    if len(batches) == 1:
        raw_id, batch = batches[0]
        path = str(batch.observations)
        con.execute(render_sql("load/stage_single_batch", raw_response_id=value_literal(raw_id), path=value_literal(path)))
    else:
        parts = " UNION ALL ".join(
            f"SELECT *, CAST({value_literal(raw_id)} AS BIGINT) AS raw_response_id, "
            f"CAST({value_literal(batch.raw.fetched_at)} AS TIMESTAMP) AS fetched_at "
            f"FROM read_parquet({value_literal(str(batch.observations))})"
            for raw_id, batch in batches
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE batch_observations AS {parts}")
        con.execute(read_sql("load/stage_observations"))
        con.execute("DROP TABLE batch_observations")
    if scalar(con, read_sql("load/has_current_values")):
        closed = scalar(con, read_sql("load/close_revised"), {"load_ts": load_ts})
        inserted = scalar(con, read_sql("load/insert_new"), {"load_ts": load_ts})
    else:
        closed, inserted = 0, scalar(con, read_sql("load/insert_all"), {"load_ts": load_ts})
    con.execute("DROP TABLE staged_observations")
    return int(inserted), int(closed)


def _all_new(con: duckdb.DuckDBPyConnection, batches: list[Batch]) -> bool:
    """True when every row of the batches opens a vintage: their table has no current value in
    their months, and no key comes in two of them (where the later fetch would win). Then each
    batch goes in straight from its Parquet file, without a staged copy or key lookups."""
    tables = {batch.raw.table_code for batch in batches}
    if len(tables) != 1:
        return False
    paths = [str(batch.observations) for batch in batches]
    if scalar(con, read_sql("load/has_current_values_in_months"), {"table_code": tables.pop(), "paths": paths}):
        return False
    return len(paths) == 1 or not scalar(con, read_sql("load/keys_in_two_batches"), {"paths": paths})


def _remember_fetches(con: duckdb.DuckDBPyConnection, fetches: list[FetchRecord]) -> None:
    for fetch in fetches:
        execute(con, "DELETE FROM fetch_state WHERE request_key = ?", [fetch.request_key])
        execute(
            con,
            read_sql("load/insert_fetch_state"),
            {
                "request_key": fetch.request_key,
                "table_code": fetch.table_code,
                "request": json.dumps(fetch.request, sort_keys=True),
                "last_success_at": fetch.succeeded_at,
                "last_sha256": fetch.sha256,
            },
        )


def _run_data_checks(con: duckdb.DuckDBPyConnection, load_ts: datetime) -> None:
    """The data tests of warehouse/checks, on what the load at load_ts wrote."""
    for name in sql_names("checks"):
        violations = execute(con, read_sql(name), {"load_ts": load_ts}).fetchmany(5)
        if violations:
            raise DataCheckError(f"Data test {name}.sql failed after merging; nothing was loaded. First rows: {violations}")


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    status: str,
    requests: int,
    rows_inserted: int,
    rows_closed: int,
    error: str | None,
) -> None:
    execute(
        con,
        read_sql("load/insert_update_run"),
        {
            "run_id": run_id,
            "started_at": started_at,
            "finished_at": finished_at,
            "status": status,
            "requests": requests,
            "rows_inserted": rows_inserted,
            "rows_closed": rows_closed,
            "error": error,
        },
    )


def record_quality_issues(
    con: duckdb.DuckDBPyConnection,
    *,
    detected_at: datetime,
    run_id: str,
    table_code: str,
    sha256: str,
    failure_cases: list[dict],
) -> None:
    """One quality_issues row per failure case (pandera's: schema_name, check_name, column_name,
    failure_case, row_index) of a batch that failed validation."""
    batch = {"detected_at": detected_at, "run_id": run_id, "table_code": table_code, "sha256": sha256}
    columns = ("schema_name", "check_name", "column_name", "failure_case", "row_index")
    rows = [batch | {column: case[column] for column in columns} for case in failure_cases]
    if rows:
        execute_many(con, read_sql("load/insert_quality_issues"), rows)
