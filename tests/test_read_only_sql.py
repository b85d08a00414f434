"""`exportwatch sql` reads and nothing else, on a DuckDB file and on a DuckLake with a SQLite or a
PostgreSQL catalog (issue 13 #1), within the configured memory and a time limit (issue 13 #6).
Every escape an adversarial review found is tried; afterwards every file of the warehouse, the
lake's data files and its catalog are byte for byte (PostgreSQL: row for row) what they were."""

import _thread
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.support import TABLE, query
from tests.test_ducklake import big_batch, needs_lake_extensions, postgres  # noqa: F401 (postgres: a fixture)
from tests.test_security import exportwatch
from warehouse.batch import FetchRecord
from warehouse.connection import WarehouseLockedError, connect, open_warehouse
from warehouse.load import load
from warehouse.location import WarehouseLocation
from warehouse.read_only_sql import QueryInterrupted, run_read_only

PREFECT_SECRET = "prefect-db-secret-4c1d"
METADATA = "__ducklake_metadata_exportwatch"
LONG_QUERY = "SELECT count(*) FROM range(100000000) a, range(100000) b"


@pytest.fixture(
    params=["file", pytest.param("sqlite", marks=needs_lake_extensions), pytest.param("postgres", marks=needs_lake_extensions)]
)
def warehouse(request, tmp_path) -> WarehouseLocation:
    """A warehouse of the given kind holding one loaded batch (and so, on a lake, Parquet files)."""
    if request.param == "file":
        location = WarehouseLocation.file(tmp_path / "data" / "exportwatch.duckdb")
    elif request.param == "sqlite":
        (tmp_path / "lake").mkdir()
        location = WarehouseLocation.parse(
            f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}", str(tmp_path / "lake" / "data")
        )
    else:
        url = "ducklake:postgres:" + request.getfixturevalue("postgres").create_database(f"lake_{uuid.uuid4().hex[:12]}")
        location = WarehouseLocation.parse(url, str(tmp_path / "lake" / "data"))
    batch = big_batch(tmp_path, 2_000, 1)
    at = datetime(2026, 11, 24, 12)
    with open_warehouse(location) as con:
        load(
            con,
            [batch],
            [FetchRecord(batch.raw.request_key, TABLE, {}, at, None)],
            run_id="r1",
            started_at=at,
            load_ts=at,
            requests=1,
        )
    batch.observations.unlink()
    return location


def cli_args(location: WarehouseLocation) -> tuple[list[str], dict[str, str]]:
    if location.is_lake:
        return [], {"EXPORTWATCH_WAREHOUSE__URL": location.url, "EXPORTWATCH_WAREHOUSE__DATA_PATH": location.data_path}
    return ["--db", location.url], {}


def state(location: WarehouseLocation, root: Path) -> dict:
    """Every file under root with its hash, and on a lake every row of its catalog tables."""
    files = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}
    if not location.is_lake:
        return {"files": files}
    con = connect(location, read_only=True)
    try:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [METADATA]).fetchall()
        ]
        catalog = {t: sorted(con.execute(f'SELECT * FROM {METADATA}."{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()
    return {"files": files, "catalog": catalog}


def escapes(location: WarehouseLocation, tmp_path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(statements refused for their type, with the type the message names; queries that reach out
    through a function). Paths point at the lake's own data files, the user's files, Prefect's DB."""
    data_path = Path(location.data_path) if location.is_lake else Path(location.url).parent
    data_file = next(iter(sorted(data_path.rglob("*.parquet"))), Path(location.url))
    evil = tmp_path / "evil"
    refused = [
        ("COPY", f"COPY (SELECT * FROM observations WHERE false) TO '{data_file}' (FORMAT parquet)"),
        ("COPY", f"COPY (SELECT 1 AS x) TO '{data_path / 'evil.csv'}'"),
        ("COPY", f"COPY observations TO '{evil}.csv'"),
        ("ATTACH", f"ATTACH '{evil}.sqlite' AS evil (TYPE sqlite)"),
        ("ATTACH", f"ATTACH '{tmp_path / 'prefect.db'}' AS prefect (TYPE sqlite, READ_ONLY)"),
        ("ATTACH", f"SELECT 1; ATTACH '{evil}.duckdb' AS evil"),
        ("EXPORT", f"EXPORT DATABASE '{evil}'"),
        ("LOAD", "INSTALL sqlite"),
        ("LOAD", "LOAD sqlite"),
        ("SET", "SET enable_external_access = true"),
        ("SET", "RESET lock_configuration"),
        ("CALL", "CALL ducklake_cleanup_old_files('exportwatch', cleanup_all => true)"),
        ("CALL", "CHECKPOINT"),
        ("PRAGMA", "PRAGMA enable_profiling"),
        ("DELETE", "DELETE FROM observations"),
        ("INSERT", "INSERT INTO update_runs SELECT * FROM update_runs"),
        ("CREATE", "CREATE TABLE evil AS SELECT 1 AS x"),
        ("DROP", "DROP VIEW monthly_trade"),
        ("EXPLAIN of a COPY", f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{data_path / 'evil.csv'}'"),
        ("EXPLAIN of a DELETE", "EXPLAIN ANALYZE DELETE FROM observations"),
        ("DETACH", f"DETACH {METADATA}"),
    ]
    reaching = [
        f"SELECT * FROM sqlite_scan('{tmp_path / 'prefect.db'}', 'flow_run')",
        f"SELECT * FROM sqlite_attach('{evil}.sqlite')",
        f"SELECT * FROM sqlite_query('{METADATA}', 'DELETE FROM ducklake_snapshot RETURNING *')",
        f"SELECT * FROM postgres_query('{METADATA}', 'DELETE FROM ducklake_snapshot RETURNING *')",
        f"SELECT * FROM postgres_execute('{METADATA}', 'DROP TABLE ducklake_snapshot')",
        "SELECT * FROM postgres_scan('dbname=postgres host=127.0.0.1', 'public', 'x')",
        "SELECT * FROM ducklake_cleanup_old_files('exportwatch', cleanup_all => true)",
        "SELECT * FROM ducklake_delete_orphaned_files('exportwatch', cleanup_all => true)",
        "SELECT * FROM ducklake_expire_snapshots('exportwatch', older_than => now())",
        "SELECT * FROM ducklake_merge_adjacent_files('exportwatch')",
        "SELECT * FROM ducklake_set_option('exportwatch', 'data_path', '/tmp')",
        f"SELECT * FROM query('COPY (SELECT 1) TO ''{data_path / 'evil.csv'}''')",
        f"SELECT * FROM (SELECT 1) WHERE EXISTS (FROM sqlite_scan('{tmp_path / 'prefect.db'}', 'flow_run'))",
        f"SELECT * FROM read_csv('{tmp_path / 'prefect.db'}')",
    ]
    return refused, reaching


def shown(result) -> str:
    """What the command showed. CliRunner calls the command itself, past the app's report of an
    expected error (one line on stderr, tested through the real command in test_cli_contract), so
    such an error comes back as result.exception: here it is the line the CLI prints."""
    raised = result.exception if result.exception and not isinstance(result.exception, SystemExit) else None
    return result.output + (f"error: {raised}" if raised else "")


@pytest.mark.slow
def test_sql_escapes_are_refused_and_the_warehouse_stays_byte_identical(warehouse, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    prefect = sqlite3.connect(tmp_path / "prefect.db")  # stands for Prefect's database beside the warehouse
    prefect.execute("CREATE TABLE flow_run (secret TEXT)")
    prefect.execute("INSERT INTO flow_run VALUES (?)", [PREFECT_SECRET])
    prefect.commit()
    prefect.close()
    # an orphan file in the data folder, which ducklake_delete_orphaned_files would remove
    root = tmp_path / ("lake" if warehouse.is_lake else "data")
    (root / "data" if warehouse.is_lake else root).mkdir(parents=True, exist_ok=True)
    (root / ("data" if warehouse.is_lake else "") / "orphan.parquet").write_bytes(b"not referenced by the catalog")
    refused, reaching = escapes(warehouse, tmp_path)
    before = state(warehouse, root)
    everything_before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    args, env = cli_args(warehouse)
    runner = CliRunner()

    for kind, statement in refused:
        result = runner.invoke(app, ["sql", *args, statement], env=env)
        assert result.exit_code == 1, (statement, result.output)
        message = shown(result).strip()
        assert "\n" not in message, message
        assert f"read-only: {kind} is not allowed" in message and "SELECT" in message and "Nothing was run" in message, message
    for statement in reaching:
        result = runner.invoke(app, ["sql", *args, statement], env=env)
        assert result.exit_code == 1, (statement, result.output)
        # refused by the function check, or the function is not there at all, or the lockdown
        assert any(
            s in shown(result) for s in ("() is not allowed", "does not exist", "not in the catalog", "Permission Error")
        ), (statement, shown(result))
        assert PREFECT_SECRET not in shown(result)

    assert state(warehouse, root) == before
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == everything_before, "a file was created"
    # and reading still works, including a lake's history
    answer = runner.invoke(app, ["sql", *args, "--format", "csv", "SELECT count(*) AS n FROM observations"], env=env)
    assert answer.exit_code == 0 and answer.output.splitlines()[-1] == "2000", answer.output
    if warehouse.is_lake:
        history = runner.invoke(
            app, ["sql", *args, "--format", "csv", "SELECT count(*) > 0 AS ok FROM ducklake_snapshots('exportwatch')"], env=env
        )
        assert history.exit_code == 0 and history.output.splitlines()[-1] == "True", history.output


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1 AS x",
        "WITH t AS (SELECT 1 AS x) SELECT * FROM t",
        "FROM countries LIMIT 1",
        "VALUES (1)",
        "SHOW TABLES",
        "DESCRIBE observations",
        "SUMMARIZE SELECT 1 AS x",
        "SELECT * FROM duckdb_settings() LIMIT 1",
        "EXPLAIN SELECT 1",
        "EXPLAIN ANALYZE SELECT 1",
        "EXPLAIN (FORMAT json) SELECT 1",
        "explain /* a comment */ select 1",
        "SELECT 1 AS x; SELECT 2 AS y",
    ],
)
def test_sql_runs_every_kind_of_read(tmp_path, statement):
    location = WarehouseLocation.file(tmp_path / "w.duckdb")
    with open_warehouse(location):
        pass
    con = connect(location, read_only=True)
    try:
        assert run_read_only(con, statement, timeout=30)[-1].columns
    finally:
        con.close()


def test_sql_uses_the_configured_memory_limit(tmp_path):
    db = tmp_path / "data" / "exportwatch.duckdb"
    with open_warehouse(db):
        pass
    expected = duckdb.connect(config={"memory_limit": "123MB"}).execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    result = exportwatch(
        "sql",
        "--db",
        str(db),
        "--format",
        "csv",
        "SELECT current_setting('memory_limit') AS m",
        cwd=tmp_path,
        env={"EXPORTWATCH_WAREHOUSE__MEMORY_LIMIT": "123MB"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == expected == "117.3 MiB"


def test_sql_stops_a_query_at_its_timeout(tmp_path):
    db = tmp_path / "data" / "exportwatch.duckdb"
    with open_warehouse(db):
        pass
    started = time.monotonic()
    result = exportwatch("sql", "--db", str(db), "--timeout", "1", LONG_QUERY, cwd=tmp_path, timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "exportwatch sql: the query ran longer than 1 s and was stopped; pass --timeout SECONDS to allow more (0 = no limit)."
    )


# The command line, with a note on stderr once the query passed its checks and is about to run.
SQL_WITH_NOTE = r"""
import sys
import warehouse.read_only_sql as read_only_sql
checked = read_only_sql.checked_statements

def noting(*args, **kwargs):
    texts = checked(*args, **kwargs)
    print("running", file=sys.stderr, flush=True)
    return texts

read_only_sql.checked_statements = noting
from flows.cli import app
app(["sql", "--db", sys.argv[1], "--timeout", "0", sys.argv[2]])
"""


def test_ctrl_c_stops_a_long_query_with_one_line(tmp_path):
    db = tmp_path / "data" / "exportwatch.duckdb"
    with open_warehouse(db):
        pass
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EXPORTWATCH_", "PREFECT_"))}
    process = subprocess.Popen(
        [sys.executable, "-c", SQL_WITH_NOTE, str(db), LONG_QUERY],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr.readline().strip() == "running"
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        out, err = process.communicate(timeout=60)
        stopped_after = time.monotonic() - started
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    assert err.strip() == "exportwatch sql: interrupted (Ctrl-C); nothing was changed.", err
    assert stopped_after < 10


class QueryBeginsLate:
    """A real DuckDB connection whose queries begin only once they have been interrupted: the
    moments between a Ctrl-C (or the timeout) and DuckDB starting the query, as on a busy machine."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.interrupted = threading.Event()

    def execute(self, text: str) -> duckdb.DuckDBPyConnection:
        self.interrupted.wait(30)
        return self.con.execute(text)

    def interrupt(self) -> None:
        self.con.interrupt()
        self.interrupted.set()


@pytest.mark.parametrize("stop", ["timeout", "ctrl-c"])
def test_a_stop_that_comes_before_the_query_begins_still_stops_it(tmp_path, stop):
    location = WarehouseLocation.file(tmp_path / "w.duckdb")
    with open_warehouse(location):
        pass
    con = connect(location, read_only=True)
    rescued = threading.Event()

    def rescue() -> None:  # ends the query if the stop was lost, so that the test fails instead of hanging
        rescued.set()
        con.interrupt()

    watchdog = threading.Timer(30, rescue)
    watchdog.start()
    if stop == "ctrl-c":
        threading.Timer(0.2, _thread.interrupt_main).start()
    try:
        with pytest.raises(QueryInterrupted) as stopped:
            run_read_only(QueryBeginsLate(con), LONG_QUERY, timeout=0.2 if stop == "timeout" else None, denied=frozenset())
    finally:
        watchdog.cancel()
        con.close()
    assert not rescued.is_set(), "the stop was lost: the query ran until the test's watchdog ended it"
    assert stopped.value.by_user == (stop == "ctrl-c")


READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("reading", flush=True)
time.sleep(60)
"""


def test_a_writer_blocked_by_a_reader_names_the_reader(tmp_path):
    db = tmp_path / "w.duckdb"
    with open_warehouse(db):
        pass
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "reading"
        with pytest.raises(WarehouseLockedError) as raised:
            connect(db, lock_timeout=0.5)
    finally:
        reader.kill()
        reader.wait()
    message = str(raised.value)
    assert f"(PID {reader.pid}: {sys.executable} -c" in message, message
    assert "a reader that keeps it open" in message and "probably" not in message, message


def test_an_update_blocked_by_a_reader_names_the_reader_not_an_update(settings, genesis, token_client, caplog):
    from decimal import Decimal

    from flows.pipeline.run import run_update
    from flows.pipeline.run_log import unrecorded_runs_file
    from tests.support import RU, series_value

    run_update(settings, token_client)
    genesis.state.revise(
        TABLE, RU, 2026, 8, "WERTA", series_value(RU, 2026, 8, "WERTA") - Decimal("1000"), updated_at=datetime(2099, 1, 1)
    )
    settings.warehouse.lock_timeout_seconds = 0.5
    before = query(settings.warehouse.path, "SELECT count(*), max(valid_from) FROM observations")
    reader = subprocess.Popen([sys.executable, "-c", READER, str(settings.warehouse.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "reading"
        with pytest.raises(WarehouseLockedError) as raised:
            run_update(settings, token_client)
    finally:
        reader.kill()
        reader.wait()
    message = str(raised.value)
    assert f"(PID {reader.pid}: {sys.executable} -c" in message and "a reader that keeps it open" in message, message
    assert "probably" not in message
    assert query(settings.warehouse.path, "SELECT count(*), max(valid_from) FROM observations") == before
    # the reader still held the file when the failed run was to be recorded: the next run adds it
    assert "could not record the failed run in the warehouse yet" in caplog.text
    assert query(settings.warehouse.path, "SELECT count(*) FROM update_runs WHERE status = 'failed'") == [(0,)]
    run_update(settings, token_client)
    ((status, error),) = query(settings.warehouse.path, "SELECT status, error FROM update_runs WHERE status = 'failed'")
    assert f"(PID {reader.pid}:" in error
    assert not unrecorded_runs_file(settings).exists()
    run_update(settings, token_client)  # recorded once
    assert query(settings.warehouse.path, "SELECT count(*) FROM update_runs WHERE status = 'failed'") == [(1,)]
