"""Publication semantics against a server that publishes month by month, as Destatis does: months
not yet published are listed with the placeholder ... ("Angabe fällt später an"). Its first number is
the first publication (not a revision), a changed published value is a revision, and a changed
quality flag alone is neither; each shows in monthly_trade, revisions, quality_changes and the alerts."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from flows.alerts.process import process_alerts
from flows.alerts.rules import AlertRule
from flows.demo.genesis_server import Observation
from flows.pipeline.run import run_update
from tests.support import FAST_CONFIG, RU, TABLE, TOKEN, query, snapshot
from warehouse.connection import open_warehouse
from warehouse.migrate import migrate

PLACEHOLDER = "..."
RELEASES = [datetime(2099, 1, day) for day in range(1, 10)]  # after any stand a run sends


def monthly_releases(first_year: int = 2025, published_through: int = 6) -> list[Observation]:
    """RU exports in thousands of EUR: every month 1000 in first_year, then the following year
    published through a month (provisional) and the placeholder ... for the months after it."""
    rows = [Observation(RU, first_year, m, "WERTA", Decimal(1000)) for m in range(1, 13)]
    for m in range(1, 13):
        published = m <= published_through
        rows.append(
            Observation(RU, first_year + 1, m, "WERTA", Decimal(1000) if published else PLACEHOLDER, "p" if published else "")
        )
    return rows


def publishing_server(genesis, settings, since: int = 2025) -> None:
    genesis.state.set_table(TABLE, monthly_releases(), updated_at=datetime(2026, 7, 20))
    settings.watchlist.countries = ["RU"]
    settings.watchlist.measures = ["WERTA"]
    settings.watchlist.since = since
    settings.alerts.rules = [AlertRule(name="ru-yoy-30", countries=["RU"], flow="export", metric="yoy_pct", threshold=-30.0)]


def month_row(path, month: date, at: datetime | None = None) -> tuple:
    source = "monthly_trade" if at is None else "monthly_trade_as_of(?)"
    params = ([at] if at is not None else []) + [RU, month]
    rows = query(
        path,
        f"SELECT value_eur, quality, first_published_at, last_revised_at FROM {source} WHERE country_code = ? AND flow = 'export' AND month = ?",
        params,
    )
    assert len(rows) == 1, rows
    return rows[0]


def alerts(path) -> list[tuple]:
    return query(path, "SELECT month, kind, previous_value_eur FROM alerts ORDER BY alert_id")


def revisions(path) -> list[tuple]:
    return query(path, "SELECT month, old_value, new_value, revised_at FROM revisions ORDER BY month")


def update(settings, client):
    report = run_update(settings, client)
    return report, process_alerts(settings)


def test_first_publication_revision_and_quality_change(settings, genesis, token_client, receiver):
    publishing_server(genesis, settings)
    settings.alerts.channels = [receiver.url]
    settings.alerts.delivery_backoff_seconds = 0.01
    db = settings.warehouse.path
    july, june, august, january = date(2026, 7, 1), date(2026, 6, 1), date(2026, 8, 1), date(2026, 1, 1)

    # 1. July to December are placeholders: no value, not published, no alert.
    first, outcome = update(settings, token_client)
    t1 = first.load_ts
    assert (first.rows_inserted, first.new_count, first.revised_count) == (24, 18, 0), "placeholders are not new months"
    assert month_row(db, july) == (None, None, None, None)
    assert month_row(db, june) == (Decimal(1_000_000), "p", t1, None)
    assert outcome.raised == [] and alerts(db) == []

    # 2. July is published at half of a year earlier: its first publication, crossing -30 %.
    genesis.state.revise(TABLE, RU, 2026, 7, "WERTA", Decimal(500), "p", updated_at=RELEASES[0])
    second, outcome = update(settings, token_client)
    t2 = second.load_ts
    assert (second.new_count, second.revised_count, second.quality_count) == (1, 0, 0)
    assert [c["month"] for c in second.new] == [july] and second.revised == []
    assert month_row(db, july) == (Decimal(500_000), "p", t2, None)
    assert revisions(db) == []
    assert alerts(db) == [(july, "crossed", None)]
    assert len(receiver.messages) == 1 and "first publication" in receiver.messages[0]["message"]
    assert month_row(db, july, at=t1) == (None, None, None, None), "as known before July was published"

    # 3. July revised back above the threshold, June revised below it, August first published.
    genesis.state.revise(TABLE, RU, 2026, 7, "WERTA", Decimal(900), "p", updated_at=RELEASES[1])
    genesis.state.revise(TABLE, RU, 2026, 6, "WERTA", Decimal(600), "p", updated_at=RELEASES[1])
    genesis.state.revise(TABLE, RU, 2026, 8, "WERTA", Decimal(1000), "p", updated_at=RELEASES[1])
    third, outcome = update(settings, token_client)
    t3 = third.load_ts
    assert (third.new_count, third.revised_count, third.quality_count) == (1, 2, 0)
    assert [c["month"] for c in third.new] == [august] and sorted(c["month"] for c in third.revised) == [june, july]
    assert revisions(db) == [(june, Decimal(1_000_000), Decimal(600_000), t3), (july, Decimal(500_000), Decimal(900_000), t3)]
    assert month_row(db, july) == (Decimal(900_000), "p", t2, t3)
    assert month_row(db, june) == (Decimal(600_000), "p", t1, t3)
    assert month_row(db, august) == (Decimal(1_000_000), "p", t3, None)
    assert alerts(db)[1:] == [(june, "revised", Decimal(1_000_000)), (july, "cleared", Decimal(500_000))]
    assert month_row(db, july, at=t2) == (Decimal(500_000), "p", t2, None), "as known before the revision"

    # 4. January becomes final with the same value: visible, but no revision and no alert.
    genesis.state.revise(TABLE, RU, 2026, 1, "WERTA", Decimal(1000), "e", updated_at=RELEASES[2])
    alerts_before, messages_before = alerts(db), len(receiver.messages)
    fourth, outcome = update(settings, token_client)
    t4 = fourth.load_ts
    assert (fourth.rows_inserted, fourth.rows_closed) == (1, 1)
    assert (fourth.new_count, fourth.revised_count, fourth.quality_count) == (0, 0, 1)
    assert fourth.new == [] and fourth.revised == []
    assert query(db, "SELECT month, value, old_quality, new_quality, changed_at FROM quality_changes") == [
        (january, Decimal(1_000_000), "p", "e", t4)
    ]
    assert len(revisions(db)) == 2
    assert month_row(db, january) == (Decimal(1_000_000), "e", t1, None)
    assert outcome.raised == [] and alerts(db) == alerts_before and len(receiver.messages) == messages_before


def test_a_placeholder_that_is_published_as_a_symbol_is_a_first_publication(settings, genesis, token_client):
    publishing_server(genesis, settings)
    first, _ = update(settings, token_client)
    genesis.state.revise(TABLE, RU, 2026, 7, "WERTA", ".", updated_at=RELEASES[0])  # secret: a substantive symbol
    second, _ = update(settings, token_client)

    assert month_row(settings.warehouse.path, date(2026, 7, 1)) == (None, None, second.load_ts, None)
    assert month_row(settings.warehouse.path, date(2026, 8, 1)) == (None, None, None, None)
    assert revisions(settings.warehouse.path) == []


def test_migration_009_relabels_first_publication_alerts_stored_as_revised(settings, genesis, token_client):
    """Alerts an older version stored as 'revised': July's, raised right after its first number
    replaced the placeholder (wrong: a first publication), June's, whose published value changed
    (right), and one raised for July after a later load (left alone: cannot be told apart)."""
    publishing_server(genesis, settings)
    update(settings, token_client)
    genesis.state.revise(TABLE, RU, 2026, 7, "WERTA", Decimal(500), "p", updated_at=RELEASES[0])
    genesis.state.revise(TABLE, RU, 2026, 6, "WERTA", Decimal(600), "p", updated_at=RELEASES[0])
    # raised by the evaluation right after each load, before the next load (a few ms, not a second: loads
    # on a quiet machine are less than a second apart)
    published = run_update(settings, token_client).load_ts + timedelta(milliseconds=1)
    genesis.state.revise(TABLE, RU, 2026, 8, "WERTA", Decimal(1000), "p", updated_at=RELEASES[1])
    later = run_update(settings, token_client).load_ts + timedelta(milliseconds=1)
    stored = [
        (1, date(2026, 7, 1), None, published),
        (2, date(2026, 6, 1), Decimal(1_000_000), published),
        (3, date(2026, 7, 1), None, later),
    ]
    with open_warehouse(settings.warehouse.location) as con:
        for alert_id, month, previous, raised_at in stored:
            con.execute(
                "INSERT INTO alerts VALUES (?, 'ru-yoy-30', ?, 'export', ?, 'yoy_pct', -40.0, -30.0, 1, ?, 'revised', ?, ?, 1, NULL, NULL)",
                [alert_id, RU, month, previous, raised_at, raised_at],
            )
        con.execute("DELETE FROM schema_migrations WHERE name = 'migrations/009_first_publication_alerts'")
        before = con.execute("SELECT * EXCLUDE (kind, previous_value_eur) FROM alerts ORDER BY alert_id").fetchall()

        assert "migrations/009_first_publication_alerts" in migrate(con)

        assert con.execute("SELECT month, kind, previous_value_eur FROM alerts ORDER BY alert_id").fetchall() == [
            (date(2026, 7, 1), "crossed", None),
            (date(2026, 6, 1), "revised", Decimal(1_000_000)),
            (date(2026, 7, 1), "revised", None),
        ]
        assert con.execute("SELECT * EXCLUDE (kind, previous_value_eur) FROM alerts ORDER BY alert_id").fetchall() == before


def test_an_older_warehouse_gets_the_new_views(settings, genesis, token_client):
    """Views are recreated when their SQL changed: a warehouse whose revisions view still counts the
    first number after ... as a revision gets the corrected one on its next write connection."""
    publishing_server(genesis, settings)
    update(settings, token_client)
    genesis.state.revise(TABLE, RU, 2026, 7, "WERTA", Decimal(500), "p", updated_at=RELEASES[0])
    run_update(settings, token_client)
    con = duckdb.connect(str(settings.warehouse.path))
    try:
        old_meaning = "SELECT new.* FROM observations AS new JOIN observations AS old ON old.valid_to = new.valid_from AND old.month = new.month"
        con.execute(f"CREATE OR REPLACE VIEW revisions AS {old_meaning}")
        con.execute("UPDATE schema_migrations SET name = 'views@0123456789abcdef' WHERE name LIKE 'views@%'")
        assert con.execute("SELECT count(*) FROM revisions").fetchall() == [(1,)]
    finally:
        con.close()

    with open_warehouse(settings.warehouse.location) as con:
        assert con.execute("SELECT count(*) FROM revisions").fetchall() == [(0,)]


# -- through the exportwatch command, as a cron line runs it --------------------------------------


def exportwatch(*args: str, env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_", "PREFECT_"))}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=environment | env, timeout=900
    )


@pytest.fixture
def command_env(settings, genesis, tmp_path) -> dict:
    """A configuration file like publishing_server()'s settings, and the environment to run commands in."""
    publishing_server(genesis, settings)
    config = tmp_path / "exportwatch.toml"
    config.write_text(
        FAST_CONFIG.replace('countries = ["RU", "KG"]\nsince = 2019', 'countries = ["RU"]\nmeasures = ["WERTA"]\nsince = 2025')
        + f"""
[warehouse]
path = "{settings.warehouse.path}"
archive_dir = "{settings.warehouse.archive_dir}"

[[alerts.rules]]
name = "ru-yoy-30"
countries = ["RU"]
flow = "export"
metric = "yoy_pct"
threshold = -30.0
""",
        encoding="utf-8",
    )
    # The temporary Prefect API may start slowly on a busy test machine.
    prefect = {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240"}
    return {"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": TOKEN, "EXPORTWATCH_CONFIG": str(config)} | prefect


def last_load(path) -> datetime:
    return query(path, "SELECT max(valid_from) FROM observations")[0][0]


@pytest.mark.slow
def test_update_command_records_a_first_publication_as_crossed_not_revised(command_env, settings, genesis):
    db = settings.warehouse.path
    first = exportwatch("update", env=command_env)
    assert first.returncode == 0, first.stderr
    assert month_row(db, date(2026, 7, 1)) == (None, None, None, None)
    genesis.state.revise(TABLE, RU, 2026, 7, "WERTA", Decimal(500), "p", updated_at=RELEASES[0])

    second = exportwatch("update", env=command_env)

    assert second.returncode == 0, second.stderr
    assert month_row(db, date(2026, 7, 1)) == (Decimal(500_000), "p", last_load(db), None)
    assert revisions(db) == []
    assert alerts(db) == [(date(2026, 7, 1), "crossed", None)]


@pytest.mark.slow
def test_update_since_twice_sends_stand_the_second_time_and_writes_nothing(command_env, settings, genesis):
    genesis.state.tables[TABLE] += [Observation(RU, 2024, m, "WERTA", Decimal(900)) for m in range(1, 13)]
    db = settings.warehouse.path
    first = exportwatch("update", "--since", "2024", env=command_env)
    assert first.returncode == 0, first.stderr
    assert query(db, "SELECT count(*) FROM monthly_trade WHERE year(month) = 2024") == [(12,)]
    before = snapshot(db, ("raw_responses", "observations", "fetch_state", "alerts"))
    genesis.state.received.clear()

    second = exportwatch("update", "--since", "2024", env=command_env)

    assert second.returncode == 0, second.stderr
    requests = genesis.state.requests_to("data/tablefile")
    assert len(requests) == 1 and requests[0].form["stand"], [r.form for r in requests]  # answered 50: no newer data
    assert "unchanged" in second.stdout
    assert snapshot(db, ("raw_responses", "observations", "fetch_state", "alerts")) == before
