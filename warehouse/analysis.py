"""Analyst queries by name (warehouse/queries/*.sql), as lists of dicts: one series with its alert
and revision markers, the latest months, the route comparison and the goods behind a change."""

from datetime import date, datetime

import duckdb

from warehouse.results import fetch_records
from warehouse.sql_files import read_sql

# The views and the macro this module reads; a warehouse last opened for writing by an older
# version lacks them (views are created on every write connection).
REQUIRED_OBJECTS = (
    "monthly_trade",
    "revisions",
    "route_comparison",
    "monthly_trade_by_goods",
    "top_goods_change",
    "priority_goods_summary",
)


def records(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """Run warehouse/queries/<name>.sql; one dict per row."""
    return fetch_records(con, read_sql(f"queries/{name}"), params or {})


def missing_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        row[0]
        for row in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal "
            "UNION ALL SELECT function_name FROM duckdb_functions() WHERE function_type = 'table_macro'"
        ).fetchall()
    }
    return [name for name in REQUIRED_OBJECTS if name not in present]


def series(con: duckdb.DuckDBPyConnection, table_code: str, country_code: str, flow: str) -> list[dict]:
    """month, value_eur, yoy_pct, mom_pct, quality, first_published_at, last_revised_at; oldest first."""
    return records(con, "series_with_quality", {"table_code": table_code, "country_code": country_code, "flow": flow})


def alert_markers(con: duckdb.DuckDBPyConnection, country_code: str, flow: str) -> list[dict]:
    """Months with an active alert (crossed, revised, historical): month, rule, kind, metric, metric_value, threshold."""
    return records(con, "alert_markers", {"country_code": country_code, "flow": flow})


def revision_markers(con: duckdb.DuckDBPyConnection, table_code: str, country_code: str, flow: str) -> list[dict]:
    """Revised months: month, revisions, first_value, current_value, last_revised_at."""
    return records(con, "revision_markers", {"table_code": table_code, "country_code": country_code, "flow": flow})


def latest_months(con: duckdb.DuckDBPyConnection, table_code: str, country_code: str, months: int = 12) -> list[dict]:
    """The latest months of a country, both flows, newest first, with quality flags and revision counts."""
    return records(con, "latest_months", {"table_code": table_code, "country_code": country_code, "months": months})


def route_comparison(con: duckdb.DuckDBPyConnection, table_code: str, country_codes: list[str], flow: str) -> list[dict]:
    """route_comparison rows of some countries and one flow."""
    params = {"table_code": table_code, "country_codes": list(country_codes), "flow": flow}
    return records(con, "route_comparison_series", params)


def goods_tables(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return records(con, "goods_tables")


def goods_latest_month(con: duckdb.DuckDBPyConnection, country_code: str, flow: str) -> date | None:
    rows = records(con, "goods_latest_month", {"country_code": country_code, "flow": flow})
    return rows[0]["month"] if rows else None


def top_goods_change(con: duckdb.DuckDBPyConnection, country: str, flow: str, month: date, limit: int = 10) -> list[dict]:
    """The goods that made the change of `month` on the same month a year earlier, largest absolute change first."""
    return records(con, "top_goods_change", {"country": country, "flow": flow, "month": month, "limit": limit})


def freshness(con: duckdb.DuckDBPyConnection, table_code: str) -> tuple[datetime | None, date | None]:
    """(last load, latest month of the table's country totals)."""
    row = records(con, "warehouse_freshness", {"table_code": table_code})[0]
    return row["last_load"], row["latest_month"]


def priority_goods_groups(con: duckdb.DuckDBPyConnection, sanctioned: list[str], others: list[str]) -> list[dict]:
    """CHPL export tier sums to two groups of countries (ISO codes): country_group ('sanctioned' or
    'others'), tier, month, value_eur, index_2021; oldest month first."""
    return records(con, "priority_goods_groups", {"sanctioned": list(sanctioned), "others": list(others)})


def priority_goods_top_increase(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict]:
    """The goods x countries whose CHPL exports of the last 12 months grew most in EUR on 2021."""
    return records(con, "priority_goods_top_increase", {"limit": limit})
