"""The DuckLake backend: the same updates give the same warehouse as a DuckDB file, readers in
other processes see whole loads only, concurrent loads do not duplicate, and `warehouse copy`
round-trips a warehouse unchanged. Catalogs: SQLite, and PostgreSQL on 127.0.0.1 (a throwaway
server from the distribution's packages; CI requires it, elsewhere the tests skip without one)."""

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from flows.alerts.process import AlertOutcome, deliver_pending, evaluate_rules
from flows.alerts.rules import AlertRule
from flows.config import Settings
from flows.demo.data import demo_observations
from flows.pipeline.run import run_update
from tests.postgres_server import PostgresServer, binary, unavailable_reason
from tests.support import RU, TABLE, series_value
from warehouse.batch import Batch, FetchRecord, RawResponse
from warehouse.connection import connect, open_warehouse
from warehouse.copy import CopyError, copy_warehouse
from warehouse.load import load
from warehouse.location import WarehouseLocation

ROOT = Path(__file__).resolve().parents[1]
REQUIRE_POSTGRES = os.environ.get("EXPORTWATCH_REQUIRE_POSTGRES") == "1"
# The ducklake/postgres/sqlite extensions exist as PyPI wheels for the pinned DuckDB 1.5.5 only, and
# nothing here reaches DuckDB's extension repository: on DuckDB 2 a lake cannot be opened offline.
needs_lake_extensions = pytest.mark.skipif(
    not duckdb.__version__.startswith("1."),
    reason=f"no offline DuckLake extensions for DuckDB {duckdb.__version__} (wheels exist for the pinned 1.5.5)",
)


@pytest.fixture(scope="session")
def postgres():
    reason = unavailable_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"EXPORTWATCH_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def lake(request, tmp_path) -> WarehouseLocation:
    """A new, empty DuckLake with its catalog in SQLite or PostgreSQL and its data under tmp_path."""
    if request.param == "sqlite":
        url = f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}"
        (tmp_path / "lake").mkdir()
    else:
        url = "ducklake:postgres:" + request.getfixturevalue("postgres").create_database(f"lake_{uuid.uuid4().hex[:12]}")
    return WarehouseLocation.parse(url, str(tmp_path / "lake" / "data"))


def on(settings: Settings, location: WarehouseLocation, name: str) -> Settings:
    """A copy of the settings writing to `location`, with its own local working folder."""
    other = settings.model_copy(deep=True)
    other.warehouse.path = settings.warehouse.path.parent.parent / name / "exportwatch.duckdb"
    other.warehouse.archive_dir = other.warehouse.path.parent / "raw"
    other.warehouse.url, other.warehouse.data_path = (location.url, location.data_path) if location.is_lake else (None, None)
    return other


REQUEST_WITHOUT_STAND = (
    "json_merge_patch(request, CASE WHEN request->>'stand' IS NOT NULL THEN '{\"stand\": \"sent\"}' ELSE '{}' END)"
)


def contents(location: WarehouseLocation) -> dict[str, list[tuple]]:
    """What a warehouse knows, without the times, ids and body hashes that differ between two runs
    (the fake server zips each answer anew, so equal contents come in different bytes). A request's
    `stand` is the minute of that warehouse's previous run, so only its presence is compared: the
    two first runs can fall on both sides of a minute."""
    con = connect(location, read_only=True)
    try:
        return {
            "observations": con.execute(
                "SELECT table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality, "
                "valid_to IS NULL AS current, row_number() OVER (PARTITION BY table_code, country_code, goods_code, month, measure "
                "ORDER BY valid_from) AS vintage FROM observations ORDER BY ALL"
            ).fetchall(),
            "raw_responses": con.execute(
                f"SELECT request_key, table_code, endpoint, {REQUEST_WITHOUT_STAND} FROM raw_responses ORDER BY ALL"
            ).fetchall(),
            "fetch_state": con.execute(
                f"SELECT request_key, table_code, {REQUEST_WITHOUT_STAND} FROM fetch_state ORDER BY ALL"
            ).fetchall(),
            "update_runs": con.execute(
                "SELECT status, requests, rows_inserted, rows_closed FROM update_runs ORDER BY started_at"
            ).fetchall(),
            "monthly_trade": con.execute(
                "SELECT * EXCLUDE (first_published_at, last_revised_at), last_revised_at IS NULL FROM monthly_trade ORDER BY ALL"
            ).fetchall(),
            "revisions": con.execute(
                "SELECT country_code, flow, month, old_value, new_value FROM revisions ORDER BY ALL"
            ).fetchall(),
        }
    finally:
        con.close()


def revise(genesis, month: tuple[int, int], delta: Decimal) -> None:
    """GENESIS publishes a revision of one Russia export month (delta in thousands of EUR), now."""
    genesis.state.revise(TABLE, RU, *month, "WERTA", series_value(RU, *month, "WERTA") + delta, updated_at=datetime(2099, 1, 1))


@needs_lake_extensions
def test_updates_give_the_same_warehouse_on_a_duckdb_file_and_a_ducklake(settings, genesis, token_client, lake):
    file_settings = on(settings, WarehouseLocation.file(Path("unused")), "file")
    lake_settings = on(settings, lake, "lake")
    for s in (file_settings, lake_settings):
        assert run_update(s, token_client).status == "loaded"
    revise(genesis, (2026, 8), Decimal("-1000"))
    for s in (file_settings, lake_settings):
        report = run_update(s, token_client)
        assert (report.status, report.rows_closed) == ("loaded", 1)

    on_file, on_lake = contents(file_settings.warehouse.location), contents(lake)
    assert on_lake == on_file
    assert len(on_lake["observations"]) == 373  # 372 values, one of them revised: two vintages
    assert len(on_lake["revisions"]) == 1

    # The vintage columns keep the history on the lake too: as of the first load, the old value.
    con = connect(lake, read_only=True)
    try:
        first_load = con.execute("SELECT min(valid_from) FROM observations").fetchone()[0]
        old, new = (
            con.execute(
                f"SELECT value_eur FROM {source} WHERE country_code = ? AND flow = 'export' AND month = DATE '2026-08-01'",
                [RU],
            ).fetchone()[0]
            for source in (f"monthly_trade_as_of(TIMESTAMP '{first_load}')", "monthly_trade")
        )
    finally:
        con.close()
    assert new == old - 1_000_000


@needs_lake_extensions
def test_the_update_flow_loads_into_a_ducklake(prefect_harness, flow_env, settings, lake, monkeypatch):
    from flows.update_trade import update_trade

    monkeypatch.setenv("EXPORTWATCH_WAREHOUSE__URL", lake.url)
    monkeypatch.setenv("EXPORTWATCH_WAREHOUSE__DATA_PATH", lake.data_path)
    result = update_trade()
    assert (result["status"], result["rows_inserted"]) == ("loaded", 372)
    assert update_trade()["status"] == "unchanged"
    assert len(contents(lake)["monthly_trade"]) == 372
    assert not settings.warehouse.path.exists()  # nothing went to the default DuckDB file


READER = """
import json, sys, time
from warehouse.connection import connect
from warehouse.location import WarehouseLocation
location = WarehouseLocation.parse(sys.argv[1])
con = connect(location, read_only=True)
seen, errors, queries = set(), [], 0
print("ready", flush=True)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        rows, total = con.execute("SELECT count(*), sum(value_eur) FROM monthly_trade").fetchone()
        seen.add(f"{rows}|{total}")
        queries += 1
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
    if sys.stdin in __import__("select").select([sys.stdin], [], [], 0)[0]:
        break
print(json.dumps({"seen": sorted(seen), "errors": errors[:5], "error_count": len(errors), "queries": queries}))
"""


def big_batch(tmp_path: Path, n: int, factor: int) -> Batch:
    """A staged batch of n country-total values (n <= 100,000), scaled by factor: each load revises them all."""
    import duckdb

    path = tmp_path / f"batch-{factor}.parquet"
    duckdb.sql(
        f"COPY (SELECT '{TABLE}' AS table_code, 'STLAH' || lpad((i % 250)::VARCHAR, 3, '0') AS country_code, "
        f"'' AS goods_variable, '' AS goods_code, DATE '1990-01-01' + INTERVAL (i // 250 % 200) MONTH AS month, "
        f"CASE WHEN i < {n // 2} THEN 'WERTA' ELSE 'WERTE' END AS measure, CAST(i * {factor} AS DECIMAL(38,3)) AS value, "
        f"'EUR' AS unit, NULL::VARCHAR AS symbol, 'e' AS quality FROM range({n}) t(i)) TO '{path}' (FORMAT parquet)"
    )
    raw = RawResponse(
        f"key{factor}",
        TABLE,
        "data/tablefile",
        {"name": TABLE},
        datetime(2026, 11, 1),
        f"{factor:064d}",
        1,
        "application/zip",
        f"{factor}.zip",
    )
    return Batch(raw=raw, observations=path, rows=n)


@needs_lake_extensions
@pytest.mark.parametrize("lake", ["postgres"], indirect=True)  # a SQLite catalog takes one writer at a time anyway
def test_two_machines_delivering_alerts_at_once_send_each_once(settings, genesis, token_client, lake, receiver, caplog):
    """One process is in the middle of sending (the receiver holds its message) when a second one
    finds the same alerts pending: the second leaves them alone, and one message arrives."""
    genesis.state.set_table(TABLE, demo_observations(), updated_at=datetime(2024, 10, 9))
    lake_settings = on(settings, lake, "lake")
    lake_settings.watchlist.countries, lake_settings.watchlist.measures = ["RU"], ["WERTA"]
    lake_settings.alerts.channels = [receiver.url]
    lake_settings.alerts.rules = [AlertRule(name="ru-yoy-30", countries=["RU"], flow="export", metric="yoy_pct", threshold=-30.0)]
    run_update(lake_settings, token_client)
    with open_warehouse(lake) as con:
        raised = evaluate_rules(con, lake_settings.alerts.rules)
    assert raised and {a["kind"] for a in raised} == {"historical"}  # one digest message

    receiver.release.clear()
    first: list[AlertOutcome] = []
    sending = threading.Thread(target=lambda: first.append(deliver_pending_on(lake_settings)))
    sending.start()
    try:
        assert receiver.arrived.wait(timeout=60), "the first process sent nothing"
        with caplog.at_level(logging.INFO, logger="flows.alerts.process"):
            second = deliver_pending_on(lake_settings)
    finally:
        receiver.release.set()
        sending.join(timeout=60)

    assert (first[0].messages_sent, second.messages_sent) == (1, 0)
    assert "being sent by another process" in caplog.text
    assert len(receiver.messages) == 1
    con = connect(lake, read_only=True)
    try:
        assert con.execute("SELECT count(*), count(delivered_at), count(delivery_claimed_until) FROM alerts").fetchall() == [
            (len(raised), len(raised), 0)
        ]
    finally:
        con.close()


def deliver_pending_on(settings: Settings) -> AlertOutcome:
    with open_warehouse(settings.warehouse.location) as con:
        return deliver_pending(con, settings)


@needs_lake_extensions
def test_a_reader_in_another_process_sees_whole_loads_only(lake, tmp_path):
    with open_warehouse(lake):
        pass  # create the schema before the reader attaches
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, lake.url], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout.readline().strip() == "ready"
    committed = {"0|None"}
    with open_warehouse(lake) as con:
        for factor in range(1, 7):
            batch = big_batch(tmp_path, 100_000, factor)
            at = datetime(2026, 11, 24, 12, factor)
            load(
                con,
                [batch],
                [FetchRecord(batch.raw.request_key, TABLE, {}, at, None)],
                run_id=f"r{factor}",
                started_at=at,
                load_ts=at,
                requests=1,
            )
            rows, total = con.execute("SELECT count(*), sum(value_eur) FROM monthly_trade").fetchone()
            committed.add(f"{rows}|{total}")
    out, _ = reader.communicate("stop\n", timeout=60)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["error_count"] == 0, report["errors"]
    assert set(report["seen"]) <= committed, "the reader saw a state no load committed (a partial batch)"
    assert report["queries"] > 6 and len(report["seen"]) >= 2  # it really read during the loads


@needs_lake_extensions
def test_concurrent_loads_of_the_same_batch_write_it_once(lake, tmp_path):
    """PostgreSQL: both loads run, the second conflicts at commit and runs again. SQLite: the
    catalog's writer lock makes the second wait for the first."""
    with open_warehouse(lake):
        pass
    batch = big_batch(tmp_path, 20_000, 1)
    barrier = threading.Barrier(2)
    results, failures = [], []

    def load_once(name: str) -> None:
        at = datetime(2026, 11, 24, 12, 0)
        try:
            if lake.catalog == "sqlite":
                barrier.wait(60)  # the second open waits for the first writer's lock
            with open_warehouse(lake) as con:
                if lake.catalog == "postgres":
                    barrier.wait(60)  # both transactions run at once
                results.append(
                    load(
                        con, [batch], [FetchRecord("k", TABLE, {}, at, None)], run_id=name, started_at=at, load_ts=at, requests=1
                    )
                )
        except Exception as error:  # reported below, with the other thread's outcome
            failures.append(error)

    threads = [threading.Thread(target=load_once, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures
    assert sorted(r.rows_inserted for r in results) == [0, 20_000]
    con = connect(lake, read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT (country_code, month, measure)) FROM observations").fetchone() == (
            20_000,
            20_000,
        )
        assert con.execute("SELECT loads FROM load_serial").fetchone()[0] == 2
    finally:
        con.close()


@needs_lake_extensions
def test_warehouse_copy_round_trips_a_warehouse_unchanged(settings, genesis, token_client, lake, tmp_path):
    run_update(settings, token_client)
    revise(genesis, (2026, 8), Decimal("250.5"))
    run_update(settings, token_client)
    original = WarehouseLocation.file(settings.warehouse.path)
    back = WarehouseLocation.file(tmp_path / "back.duckdb")

    there = copy_warehouse(original, lake)
    assert {t.name: t.rows for t in there}["observations"] == 373
    copy_warehouse(lake, back)

    assert everything(back) == everything(original)
    assert contents(lake) == contents(original)


@needs_lake_extensions
def test_warehouse_copy_refuses_a_target_with_data_and_leaves_it_alone(settings, token_client, lake):
    run_update(settings, token_client)
    original = WarehouseLocation.file(settings.warehouse.path)
    copy_warehouse(original, lake)
    before = everything(lake)
    with pytest.raises(CopyError, match="already holds a warehouse .* copy only into a new, empty one"):
        copy_warehouse(original, lake)
    assert everything(lake) == before


def everything(location: WarehouseLocation) -> dict[str, list[tuple]]:
    """Every row of every table, exactly."""
    con = connect(location, read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()
        ]
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in sorted(tables)}
    finally:
        con.close()


@needs_lake_extensions
def test_warehouse_copy_command_and_sql_on_the_lake(settings, token_client, tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    run_update(settings, token_client)
    url = f"ducklake:sqlite:{tmp_path / 'cli-lake.sqlite'}"
    runner = CliRunner()
    copied = runner.invoke(
        app, ["warehouse", "copy", "--db", str(settings.warehouse.path), "--to", url, "--data-path", str(tmp_path / "cli-lake")]
    )
    assert copied.exit_code == 0, copied.output
    assert "every row verified" in copied.output
    env = {"EXPORTWATCH_WAREHOUSE__URL": url}
    answer = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM monthly_trade", "--format", "csv"], env=env)
    assert answer.exit_code == 0, answer.output
    assert answer.output.splitlines()[-1] == "372"
    # read-only and confined to the lake: no writing elsewhere
    blocked = runner.invoke(app, ["sql", f"COPY observations TO '{tmp_path / 'leak.csv'}'"], env=env)
    assert blocked.exit_code == 1 and not (tmp_path / "leak.csv").exists()


def test_a_lake_password_never_reaches_messages(tmp_path, monkeypatch):
    secret = "PG-pw-5e6f7a8b"
    location = WarehouseLocation.parse(
        f"ducklake:postgres:host=127.0.0.1 port=1 user=x password={secret} dbname=nowhere", str(tmp_path)
    )
    assert secret not in str(location)
    with pytest.raises(Exception) as raised:
        connect(location)
    assert "Cannot open the DuckLake warehouse" in str(raised.value)
    assert secret not in str(raised.value) and secret not in repr(raised.value)


@needs_lake_extensions
def test_a_lake_password_from_the_environment_stays_out_of_logs_files_and_catalog(
    prefect_harness, flow_env, settings, postgres, tmp_path, monkeypatch, caplog, capsys
):
    from flows.update_trade import update_trade

    secret = "PG-pw-1c2d3e4f"  # the throwaway server trusts 127.0.0.1, so any password connects
    database = f"lake_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("EXPORTWATCH_WAREHOUSE__URL", f"ducklake:postgres:{postgres.create_database(database)} password={secret}")
    monkeypatch.setenv("EXPORTWATCH_WAREHOUSE__DATA_PATH", str(tmp_path / "lake-data"))
    caplog.set_level(logging.DEBUG)
    assert update_trade()["status"] == "loaded"

    captured = capsys.readouterr()
    assert secret not in caplog.text + captured.out + captured.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    dsn = " ".join(p for p in postgres.admin_dsn.split() if not p.startswith("dbname=")) + f" dbname={database}"
    dump = subprocess.run([binary("pg_dump"), dsn], check=True, capture_output=True, text=True).stdout
    assert "ducklake_snapshot" in dump and secret not in dump
