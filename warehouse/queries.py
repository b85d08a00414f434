"""Read queries by name (warehouse/queries/*.sql) for the pipeline, the CLI and the report: `run`
is the one way to run one; the functions below name its parameters and shape its rows."""

from datetime import date, datetime

import duckdb

from warehouse.batch import Content
from warehouse.parameters import execute
from warehouse.results import Rows, fetch_rows
from warehouse.sql_files import read_sql

# The views and the macro the report's queries read; a warehouse last opened for writing by an
# older version lacks them (views are created on every write connection).
REQUIRED_OBJECTS = (
    "monthly_trade",
    "revisions",
    "route_comparison",
    "monthly_trade_by_goods",
    "top_goods_change",
    "priority_goods_summary",
)


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> Rows:
    """Run warehouse/queries/<name>.sql with its $parameters."""
    return fetch_rows(con, read_sql(f"queries/{name}"), params or {})


def missing_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        row[0]
        for row in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal "
            "UNION ALL SELECT function_name FROM duckdb_functions() WHERE function_type = 'table_macro'"
        ).fetchall()
    }
    return [name for name in REQUIRED_OBJECTS if name not in present]


# -- the pipeline ------------------------------------------------------------------------------------


def fetch_state(con: duckdb.DuckDBPyConnection, table_code: str) -> dict[str, datetime]:
    return dict(run(con, "fetch_state", {"table_code": table_code}).rows)


def earliest_open_year(con: duckdb.DuckDBPyConnection, table_code: str) -> int | None:
    return run(con, "earliest_open_year", {"table_code": table_code}).rows[0][0]


def loaded_responses(
    con: duckdb.DuckDBPyConnection, request_keys: list[str]
) -> tuple[dict[tuple[str, str], int], dict[str, list[Content]]]:
    """What the raw layer holds for the request keys: the size of each body by (sha256, request_key),
    and the flat file contents loaded per request key (where they were kept)."""
    bodies: dict[tuple[str, str], int] = {}
    contents: dict[str, list[Content]] = {}
    rows = execute(con, read_sql("queries/loaded_responses"), {"keys": request_keys}).fetchall()
    for key, sha256, size_bytes, content_sha256, content_crc32, content_bytes in rows:
        bodies[sha256, key] = size_bytes
        content = Content(content_sha256, content_crc32, content_bytes)
        if content_sha256 is not None and content not in contents.setdefault(key, []):
            contents[key].append(content)
    return bodies, contents


def changes_at(con: duckdb.DuckDBPyConnection, load_ts: datetime, limit: int = 50) -> list[dict]:
    return run(con, "changes_at", {"load_ts": load_ts, "limit": limit}).records()


def change_counts(con: duckdb.DuckDBPyConnection, load_ts: datetime) -> tuple[int, int, int]:
    """(first publications, revisions, quality-only changes) among the rows the load at load_ts opened."""
    published, revised, quality = run(con, "change_counts", {"load_ts": load_ts}).rows[0]
    return int(published), int(revised), int(quality)


# -- the report: one series with its alert and revision markers, the latest months, the route
# comparison and the goods behind a change ------------------------------------------------------


def series(con: duckdb.DuckDBPyConnection, table_code: str, country_code: str, flow: str) -> list[dict]:
    """month, value_eur, yoy_pct, mom_pct, quality, first_published_at, last_revised_at; oldest first."""
    return run(con, "series_with_quality", {"table_code": table_code, "country_code": country_code, "flow": flow}).records()


def alert_markers(con: duckdb.DuckDBPyConnection, country_code: str, flow: str) -> list[dict]:
    """Months with an active alert (crossed, revised, historical): month, rule, kind, metric, metric_value, threshold."""
    return run(con, "alert_markers", {"country_code": country_code, "flow": flow}).records()


def revision_markers(con: duckdb.DuckDBPyConnection, table_code: str, country_code: str, flow: str) -> list[dict]:
    """Revised months: month, revisions, first_value, current_value, last_revised_at."""
    return run(con, "revision_markers", {"table_code": table_code, "country_code": country_code, "flow": flow}).records()


def latest_months(con: duckdb.DuckDBPyConnection, table_code: str, country_code: str, months: int = 12) -> list[dict]:
    """The latest months of a country, both flows, newest first, with quality flags and revision counts."""
    return run(con, "latest_months", {"table_code": table_code, "country_code": country_code, "months": months}).records()


def route_comparison(con: duckdb.DuckDBPyConnection, table_code: str, country_codes: list[str], flow: str) -> list[dict]:
    """route_comparison rows of some countries and one flow."""
    params = {"table_code": table_code, "country_codes": list(country_codes), "flow": flow}
    return run(con, "route_comparison_series", params).records()


def goods_tables(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return run(con, "goods_tables").records()


def goods_latest_month(con: duckdb.DuckDBPyConnection, country_code: str, flow: str) -> date | None:
    rows = run(con, "goods_latest_month", {"country_code": country_code, "flow": flow}).records()
    return rows[0]["month"] if rows else None


def top_goods_change(con: duckdb.DuckDBPyConnection, country: str, flow: str, month: date, limit: int = 10) -> list[dict]:
    """The goods that made the change of `month` on the same month a year earlier, largest absolute change first."""
    return run(con, "top_goods_change", {"country": country, "flow": flow, "month": month, "limit": limit}).records()


def freshness(con: duckdb.DuckDBPyConnection, table_code: str) -> tuple[datetime | None, date | None]:
    """(last load, latest month of the table's country totals)."""
    row = run(con, "warehouse_freshness", {"table_code": table_code}).records()[0]
    return row["last_load"], row["latest_month"]


def priority_goods_groups(con: duckdb.DuckDBPyConnection, sanctioned: list[str], others: list[str]) -> list[dict]:
    """CHPL export tier sums to two groups of countries (ISO codes): country_group ('sanctioned' or
    'others'), tier, month, value_eur, index_2021; oldest month first."""
    return run(con, "priority_goods_groups", {"sanctioned": list(sanctioned), "others": list(others)}).records()


def priority_goods_top_increase(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict]:
    """The goods x countries whose CHPL exports of the last 12 months grew most in EUR on 2021."""
    return run(con, "priority_goods_top_increase", {"limit": limit}).records()
