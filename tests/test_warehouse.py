"""The warehouse on its own: migrations, the data dictionary, idempotent loads, the single-writer lock."""

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from warehouse.batch import Batch, FetchRecord, RawResponse
from warehouse.connection import WarehouseLockedError, connect, open_warehouse
from warehouse.load import DataCheckError, load
from warehouse.migrate import migrate
from warehouse.parameters import execute
from warehouse.sql_files import read_sql


def make_batch(tmp_path, name: str, rows: list[tuple], fetched_at=datetime(2026, 11, 1, 8, 30)) -> Batch:
    parquet = tmp_path / f"{name}.parquet"
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE b (table_code VARCHAR, country_code VARCHAR, goods_variable VARCHAR, goods_code VARCHAR, month DATE, "
        "measure VARCHAR, value DECIMAL(38,3), unit VARCHAR, symbol VARCHAR, quality VARCHAR)"
    )
    con.executemany("INSERT INTO b VALUES (?, ?, '', '', ?, ?, ?, ?, ?, ?)", rows)
    con.execute(f"COPY b TO '{parquet}' (FORMAT parquet)")
    con.close()
    raw = RawResponse(
        "key1",
        "51000-0004",
        "data/tablefile",
        {"name": "51000-0004"},
        fetched_at,
        f"sha-{name}",
        10,
        "application/zip",
        f"xx/sha-{name}.zip",
    )
    return Batch(raw, parquet, len(rows))


ROW = ("51000-0004", "STLAH075", "2022-03-01", "WERTA", Decimal("1000000"), "EUR", None, "p")


def run_load(con, batches, at):
    return load(
        con, batches, [FetchRecord("key1", "51000-0004", {}, at, None)], run_id="r", started_at=at, load_ts=at, requests=1
    )


def test_migrations_apply_once_and_views_exist(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as con:
        assert migrate(con) == []  # already applied by open_warehouse
        names = {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
        assert {"migrations/001_raw_responses", "migrations/002_observations"} <= names
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert {"monthly_trade", "revisions"} <= views
        assert con.execute("SELECT count(*), count(iso2) FROM countries").fetchone() == (262, 244)


def test_every_table_view_and_column_is_documented(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as con:
        undocumented_tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND comment IS NULL "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL"
        ).fetchall()
        undocumented_columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal AND comment IS NULL AND table_name <> 'schema_migrations'"
        ).fetchall()
        macro = con.execute("SELECT comment FROM duckdb_functions() WHERE function_name = 'monthly_trade_as_of'").fetchone()
    assert undocumented_tables == []
    assert undocumented_columns == []
    assert macro[0]


def test_loading_the_same_response_twice_adds_nothing(tmp_path):
    batch = make_batch(tmp_path, "a", [ROW])
    with open_warehouse(tmp_path / "w.duckdb") as con:
        first = run_load(con, [batch], datetime(2026, 11, 1, 9))
        second = run_load(con, [batch], datetime(2026, 11, 2, 9))
        rows = con.execute("SELECT count(*) FROM observations").fetchone()[0]
        raws = con.execute("SELECT count(*) FROM raw_responses").fetchone()[0]
    assert (first.rows_inserted, second.rows_inserted, second.rows_closed) == (1, 0, 0)
    assert (rows, raws) == (1, 1)


def test_a_first_load_of_several_batches_keeps_each_rows_response_and_the_later_fetch_wins_a_shared_key(tmp_path):
    """Disjoint batches go in straight from their files (warehouse/load.py, _all_new); batches that
    share a key are compared, and the later fetch's value is the one loaded."""
    april = ROW[:2] + ("2022-04-01",) + ROW[3:4] + (Decimal("2000"),) + ROW[5:]
    later = ROW[:4] + (Decimal("1500"),) + ROW[5:]
    sql = "SELECT month, value, raw_response_id, r.sha256 FROM observations JOIN raw_responses r USING (raw_response_id) ORDER BY ALL"
    with open_warehouse(tmp_path / "disjoint.duckdb") as con:
        result = run_load(con, [make_batch(tmp_path, "a", [ROW]), make_batch(tmp_path, "b", [april])], datetime(2026, 11, 2, 9))
        disjoint = con.execute(sql).fetchall()
    with open_warehouse(tmp_path / "shared.duckdb") as con:
        early = make_batch(tmp_path, "c", [ROW, april], fetched_at=datetime(2026, 11, 1, 8))
        late = make_batch(tmp_path, "d", [later], fetched_at=datetime(2026, 11, 1, 9))
        shared_result = run_load(con, [late, early], datetime(2026, 11, 2, 9))
        shared = con.execute(sql).fetchall()
    assert (result.rows_inserted, result.rows_closed) == (2, 0)
    assert [(m.isoformat(), v, sha) for m, v, _, sha in disjoint] == [
        ("2022-03-01", Decimal("1000000"), "sha-a"),
        ("2022-04-01", Decimal("2000"), "sha-b"),
    ]
    assert (shared_result.rows_inserted, shared_result.rows_closed) == (2, 0)
    assert [(m.isoformat(), v, sha) for m, v, _, sha in shared] == [
        ("2022-03-01", Decimal("1500"), "sha-d"),
        ("2022-04-01", Decimal("2000"), "sha-c"),
    ]


def test_an_identical_value_from_a_new_response_writes_no_vintage_but_a_quality_change_does(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as con:
        run_load(con, [make_batch(tmp_path, "a", [ROW])], datetime(2026, 11, 1, 9))
        same = run_load(con, [make_batch(tmp_path, "b", [ROW])], datetime(2026, 11, 2, 9))
        final = run_load(con, [make_batch(tmp_path, "c", [ROW[:7] + ("e",)])], datetime(2026, 11, 3, 9))
        history = con.execute("SELECT quality, valid_from, valid_to FROM observations ORDER BY valid_from").fetchall()
    assert (same.rows_inserted, same.rows_closed) == (0, 0)
    assert (final.rows_inserted, final.rows_closed) == (1, 1)
    assert history == [("p", datetime(2026, 11, 1, 9), datetime(2026, 11, 3, 9)), ("e", datetime(2026, 11, 3, 9), None)]


def test_a_load_that_breaks_a_data_test_is_rolled_back_and_names_the_test(tmp_path):
    """A clock that went back would close a vintage before it began: warehouse/checks catches it."""
    revised = ROW[:4] + (Decimal("900000"),) + ROW[5:]
    with open_warehouse(tmp_path / "w.duckdb") as con:
        run_load(con, [make_batch(tmp_path, "a", [ROW])], datetime(2026, 11, 3, 9))
        tables = ("raw_responses", "observations", "fetch_state", "update_runs", "load_serial")
        before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        with pytest.raises(DataCheckError, match=r"vintages_do_not_overlap\.sql failed .* nothing was loaded"):
            run_load(con, [make_batch(tmp_path, "b", [revised])], datetime(2026, 11, 1, 9))
        after = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    assert after == before


def test_the_current_vintage_check_names_every_key_with_two_current_rows(tmp_path):
    """warehouse/checks/one_current_vintage_per_key.sql: a key inserted twice by one load, and a key
    inserted while an older row of it is still current, are found with their counts; keys that
    differ only in one column, and an older key the load did not touch, are not."""
    load_ts, before = datetime(2026, 11, 2, 9), datetime(2026, 11, 1, 9)
    insert = "INSERT INTO observations VALUES ('51000-0004', ?, '', ?, ?, 'WERTA', 1, 'EUR', NULL, NULL, ?, NULL, 1)"
    rows = [
        ("STLAH075", "", "2022-03-01", load_ts),  # twice in this load
        ("STLAH075", "", "2022-03-01", load_ts),
        ("STLAH075", "", "2022-04-01", load_ts),  # still current from the load before
        ("STLAH075", "", "2022-04-01", before),
        ("STLAH075", "WA01", "2022-03-01", load_ts),  # differ in one column each: fine
        ("STLAH076", "", "2022-03-01", load_ts),
        ("STLAH075", "", "2022-05-01", before),  # not touched by this load
        ("STLAH075", "", "2022-05-01", before),
    ]
    with open_warehouse(tmp_path / "w.duckdb") as con:
        con.executemany(insert, rows)
        found = execute(con, read_sql("checks/one_current_vintage_per_key"), {"load_ts": load_ts}).fetchall()
    assert sorted(found) == [
        ("51000-0004", "STLAH075", "", date(2022, 3, 1), "WERTA", 2),
        ("51000-0004", "STLAH075", "", date(2022, 4, 1), "WERTA", 2),
    ]


def test_a_failing_load_rolls_back_everything(tmp_path):
    broken = make_batch(tmp_path, "a", [ROW])
    broken.observations.write_bytes(b"not parquet")
    with open_warehouse(tmp_path / "w.duckdb") as con:
        with pytest.raises(duckdb.Error):
            run_load(con, [broken], datetime(2026, 11, 1, 9))
        counts = [
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("raw_responses", "observations", "fetch_state", "update_runs")
        ]
    assert counts == [0, 0, 0, 0]


LOCK_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_second_writer_waits_then_gets_a_clear_message(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseLockedError, match="in use by another process"):
            connect(path, lock_timeout=0.5)
    finally:
        holder.kill()
        holder.wait()


def test_a_writer_gets_the_file_once_the_other_process_lets_go(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), "1"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        con = connect(path, lock_timeout=20)
        con.close()
    finally:
        holder.wait()


def test_read_only_connection_refuses_writes(tmp_path):
    path = tmp_path / "w.duckdb"
    with open_warehouse(path):
        pass
    con = connect(path, read_only=True)
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM countries")
    con.close()


def test_the_file_is_written_in_a_storage_format_every_duckdb_reads(settings, genesis, token_client):
    """DuckDB 2 writes a format DuckDB 1.x cannot open unless told otherwise (CI runs this under
    DuckDB 2 too); 'v1.0.0+' is what DuckDB calls the format of storage_compatibility_version v0.10.2."""
    from flows.pipeline.run import run_update

    run_update(settings, token_client)
    con = connect(settings.warehouse.path, read_only=True)
    try:
        version = con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
    finally:
        con.close()
    assert version == [("v1.0.0+",)]


def test_the_file_opens_in_the_duckdb_command_line_tool(settings, genesis, token_client):
    import shutil

    from flows.pipeline.run import run_update

    run_update(settings, token_client)
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
    assert cli, "duckdb-cli is a dependency: the duckdb command-line tool should be installed"
    result = subprocess.run(
        [
            cli,
            "-readonly",
            "-csv",
            str(settings.warehouse.path),
            "-c",
            "SELECT country_iso2, count(*) AS months FROM monthly_trade WHERE flow = 'export' GROUP BY 1 ORDER BY 1; "
            "SELECT count(*) FROM revisions; SELECT count(*) FROM monthly_trade_as_of(TIMESTAMP '2000-01-01')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["country_iso2,months", "KG,93", "RU,93", "count_star()", "0", "count_star()", "0"]
