"""Storage of alerts: the series a rule looks at, what is active, what is pending delivery. Rows
become the rules' own types (schemas/alerts.py) by column name."""

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

import duckdb

from schemas.alerts import NewAlert, SeriesMonth
from warehouse.parameters import execute
from warehouse.results import Rows, fetch_records, fetch_rows, first_row, scalar
from warehouse.sql_files import read_sql


def series(con: duckdb.DuckDBPyConnection, country_code: str, flow: str, measure: str) -> list[SeriesMonth]:
    params = {"country_code": country_code, "flow": flow, "measure": measure}
    return [SeriesMonth(**record) for record in fetch_records(con, read_sql("alerts/series"), params)]


def priority_series(
    con: duckdb.DuckDBPyConnection,
    country_code: str,
    flow: str,
    measure: str,
    tier: str | None,
    hs6: str | None,
    as_of: datetime | None = None,
) -> list[SeriesMonth]:
    """A priority goods series: one good (hs6), one tier's sum, or all goods (neither), as known at
    `as_of` (None: now)."""
    params = {
        "country_code": country_code,
        "flow": flow,
        "measure": measure,
        "tier": tier,
        "hs6": hs6,
        "as_of": as_of or datetime.max,
    }
    return [SeriesMonth(**record) for record in fetch_records(con, read_sql("alerts/priority_series"), params)]


def active_kinds(con: duckdb.DuckDBPyConnection, rule: str, country_code: str, flow: str) -> dict[date, str]:
    return dict(execute(con, read_sql("alerts/active"), {"rule": rule, "country_code": country_code, "flow": flow}).fetchall())


def values_before_revision(
    con: duckdb.DuckDBPyConnection, country_code: str, measure: str, since: datetime | None
) -> dict[date, Decimal]:
    params = {"country_code": country_code, "measure": measure, "since": since or datetime.min}
    return dict(execute(con, read_sql("alerts/revised_from"), params).fetchall())


def rule_state(con: duckdb.DuckDBPyConnection, rule: str) -> tuple[str, datetime | None] | None:
    row = first_row(con, "SELECT fingerprint, evaluated_through FROM alert_rules WHERE rule = ?", [rule])
    return (row[0], row[1]) if row else None


def newest_load(con: duckdb.DuckDBPyConnection) -> datetime | None:
    return scalar(con, "SELECT max(valid_from) FROM observations")


def save_evaluation(
    con: duckdb.DuckDBPyConnection,
    rule: str,
    fingerprint: str,
    evaluated_through: datetime | None,
    alerts: list[NewAlert],
    raised_at: datetime,
) -> list[int]:
    """Insert the alerts and move the rule's watermark, in the caller's transaction."""
    next_id = scalar(con, "SELECT coalesce(max(alert_id), 0) + 1 FROM alerts")
    ids = []
    for alert in alerts:
        execute(con, read_sql("alerts/insert_alert"), {"alert_id": next_id, **asdict(alert), "raised_at": raised_at})
        ids.append(next_id)
        next_id += 1
    execute(con, "DELETE FROM alert_rules WHERE rule = ?", [rule])
    execute(
        con,
        "INSERT INTO alert_rules (rule, fingerprint, evaluated_through) VALUES (?, ?, ?)",
        [rule, fingerprint, evaluated_through],
    )
    return ids


def pending(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return fetch_records(con, read_sql("alerts/pending"))


def claim_delivery(con: duckdb.DuckDBPyConnection, alert_ids: list[int], now: datetime, until: datetime) -> bool:
    """Claim these alerts for sending until `until`, in the caller's transaction; False when another
    process is sending them or has sent them (then nothing is written)."""
    free = scalar(
        con,
        "SELECT count(*) FROM alerts WHERE list_contains(?, alert_id) AND delivered_at IS NULL "
        "AND coalesce(delivery_claimed_until, ?) <= ?",
        [alert_ids, now, now],
    )
    if free < len(alert_ids):
        return False
    execute(con, "UPDATE alerts SET delivery_claimed_until = ? WHERE list_contains(?, alert_id)", [until, alert_ids])
    return True


def delivered_channels(con: duckdb.DuckDBPyConnection, alert_id: int) -> set[str]:
    return {r[0] for r in execute(con, "SELECT channel FROM alert_deliveries WHERE alert_id = ?", [alert_id]).fetchall()}


def record_delivery(
    con: duckdb.DuckDBPyConnection,
    alert_ids: list[int],
    delivered: dict[str, datetime],
    all_delivered_at: datetime | None,
    error: str | None,
    tries: int,
) -> None:
    """After delivering these alerts: the channels that took them, and the outcome; the claim ends."""
    for alert_id in alert_ids:
        for channel, at in delivered.items():
            execute(
                con, "INSERT INTO alert_deliveries (alert_id, channel, delivered_at) VALUES (?, ?, ?)", [alert_id, channel, at]
            )
        execute(
            con,
            "UPDATE alerts SET attempts = attempts + ?, delivered_at = ?, last_error = ?, delivery_claimed_until = NULL WHERE alert_id = ?",
            [tries, all_delivered_at, error, alert_id],
        )


def listing(con: duckdb.DuckDBPyConnection, status: str, limit: int) -> Rows:
    return fetch_rows(con, read_sql("alerts/listing"), {"status": status, "limit": limit})
