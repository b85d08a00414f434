"""The contract of the `exportwatch` command with its user, through the real command in a subprocess:
an expected failure is one short line on stderr and never a traceback, exit codes say what kind
of failure it was, output formats, foreign text printed literally, tables that fit 80 columns."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from importlib.metadata import entry_points

import duckdb
import pytest

from flows.cli import ALERT_COLUMNS_TO_KEEP
from flows.pipeline.run import run_update
from flows.text_output import render_table
from tests.fake_genesis import Fault
from tests.support import TOKEN, Receiver, query
from tests.test_cli import exportwatch, prefect_home  # noqa: F401  (the fixture keeps Prefect's files in tmp_path)

MARKUP = ["[/]", "[p]", "[link=https://evil.example]click[/link]", "[conceal]hidden[/conceal]", "[bold red]x"]


def assert_one_clean_line(result: subprocess.CompletedProcess, code: int = 1) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert 1 <= len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert result.stderr.startswith("error: ")


@pytest.fixture
def loaded(settings, token_client):
    run_update(settings, token_client)
    return settings.warehouse.path


@pytest.fixture
def empty_db(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    return path


def test_version_and_short_help():
    version = exportwatch("--version")
    assert version.returncode == 0 and version.stdout.startswith("exportwatch ")
    for args in (["-h"], ["sql", "-h"], ["alerts", "-h"]):
        result = exportwatch(*args)
        assert result.returncode == 0 and "Usage:" in result.stdout


def test_help_shows_section_names_literally():
    result = exportwatch("update", "--help")
    assert "[watchlist] countries" in result.stdout
    assert "75" in exportwatch("--help").stdout


def test_an_unexpected_error_shows_its_traceback_and_says_it_is_a_bug(empty_db):
    program = (
        "import sys, warehouse.queries as queries, flows.cli as cli\n"
        "def broken(*args, **kwargs): raise ZeroDivisionError('a bug')\n"
        "queries.run = broken\n"
        "cli.app(['status', '--db', sys.argv[1]])\n"
    )
    result = subprocess.run([sys.executable, "-c", program, str(empty_db)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "ZeroDivisionError: a bug" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("This is a bug in exportwatch")


def test_db_pointing_to_a_folder_is_one_line_for_every_command(tmp_path):
    for args in (("sql", "SELECT 1"), ("status",), ("alerts",), ("load", str(tmp_path / "x.csv")), ("update",), ("report",)):
        result = exportwatch(*args, "--db", str(tmp_path), env={"GENESIS_TOKEN": "t"})
        assert_one_clean_line(result)
        assert "is a folder" in result.stderr


def test_empty_sql_and_no_views_and_bad_sql(empty_db):
    assert_one_clean_line(exportwatch("sql", "--db", str(empty_db), "  "), code=2)
    assert_one_clean_line(exportwatch("sql", "--db", str(empty_db), "/* only a comment */ ;"), code=2)
    assert_one_clean_line(exportwatch("sql", "--db", str(empty_db), "SELEC 1"))
    result = exportwatch("status", "--db", str(empty_db))
    assert_one_clean_line(result)
    assert "no exportwatch views" in result.stderr


def test_runs_without_a_reachable_prefect_api_is_temporary():
    result = exportwatch("runs", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert_one_clean_line(result, code=75)
    assert "127.0.0.1:9" in result.stderr


@pytest.mark.parametrize(
    "variable, value, named",
    [
        ("EXPORTWATCH_SCHEDULE__CRON", "61 8 * * 1-5", "schedule.cron"),
        ("EXPORTWATCH_SCHEDULE__CRON", "30 8 * *", "schedule.cron"),
        ("EXPORTWATCH_SCHEDULE__TIMEZONE", "Europe/Neverland", "schedule.timezone"),
        ("EXPORTWATCH_GENESIS__TIMEOUT_SECONDS", "inf", "genesis.timeout_seconds"),
        ("EXPORTWATCH_GENESIS__API_URL", "file:///etc/passwd", "genesis.api_url"),
        ("GENESIS_API_URL", "ftp://host/", "GENESIS_API_URL"),
        ("EXPORTWATCH_TABLES", '[{"table": "51000-0012", "goods": ["WA8703&x=1"]}]', "goods"),
    ],
)
def test_serve_with_a_config_that_cannot_work_starts_nothing(tmp_path, variable, value, named):
    started = time.monotonic()
    result = exportwatch("serve", "--port", "1", env={variable: value, "GENESIS_TOKEN": TOKEN})
    assert_one_clean_line(result)
    assert named in result.stderr
    assert time.monotonic() - started < 30  # it never waited for a Prefect server
    assert not (tmp_path / "prefect" / "server.log").exists()


@pytest.mark.parametrize(
    "toml, named",
    [
        ('[[tables]]\ntable = "51000-0012"\ngoods = ["WA87 03; DROP"]\n', "tables.0.goods.0"),
        ('[genesis]\napi_url = "file:///etc/passwd"\n', "genesis.api_url"),
        ("[genesis]\ntimeout_seconds = inf\n", "genesis.timeout_seconds"),
    ],
)
def test_check_with_a_value_no_request_can_use_is_one_line_naming_the_key(tmp_path, toml, named):
    config = tmp_path / "exportwatch.toml"
    config.write_text(toml)
    result = exportwatch("check", "--config", str(config), env={"GENESIS_TOKEN": TOKEN})
    assert_one_clean_line(result)
    assert named in result.stderr and str(config) in result.stderr


def test_markup_in_values_is_printed_literally(empty_db):
    select = "SELECT " + ", ".join(f"'{text}' AS c{i}" for i, text in enumerate(MARKUP))
    for format in ("table", "csv", "json", "jsonl"):
        result = exportwatch("sql", "--db", str(empty_db), "--format", format, select, env={"COLUMNS": "200"})
        assert result.returncode == 0, result.stderr
        for text in MARKUP:
            assert text in result.stdout, (format, text)
    error = exportwatch("sql", "--db", str(empty_db), 'SELECT * FROM "[bold]x[/]"')
    assert_one_clean_line(error)
    assert "[bold]x[/]" in error.stderr


def test_a_wide_result_fits_80_columns_without_cutting_numbers_or_dates(empty_db):
    select = (
        "SELECT DATE '2024-01-01' AS month, 628069123.125::DECIMAL(18,3) AS value_eur, -23.456 AS yoy_pct, "
        "repeat('Russische Föderation ', 5) AS country, 'export' AS flow, 'WERTA' AS measure, "
        "TIMESTAMP '2026-11-06 07:00:00' AS loaded_at, 'a long description of the row' AS note, 123456789 AS n"
    )
    result = exportwatch("sql", "--db", str(empty_db), select, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), result.stdout
    assert "2024-01-01" in result.stdout and "628069123.125" in result.stdout and "-23.5" in result.stdout
    assert "columns not shown" in lines[-1] and "2024-01-01" in lines[2] or "2026-11-06 07:00:00" in result.stdout


def test_a_narrow_alert_listing_keeps_what_each_alert_is_about():
    columns = ["alert_id", "rule", "country", "flow", "month", "kind", "metric", "metric_value", "threshold", "value_eur",
               "raised_at", "delivered_at", "attempts", "last_error"]  # fmt: skip
    row = (24, "russia-exports-yoy", "RU", "export", "2024-03", "historical", "yoy_pct", -42.7, -30.0, 601068731.0,
           datetime(2026, 12, 2, 16, 40, 23), None, 0, "json://127.0.0.1:9 refused the connection")  # fmt: skip
    table = render_table(columns, [row], 80, keep=ALERT_COLUMNS_TO_KEEP)
    header, _, line, footer = table.splitlines()
    assert all(len(text) <= 80 for text in table.splitlines()), table
    for column, value in zip(columns, row):
        if column in ALERT_COLUMNS_TO_KEEP:
            assert column in header.split() and str(value) in line, table  # whole, not shortened
    assert "columns not shown" in footer
    assert render_table(columns, [row], 80) != table  # without keep, other columns would stay


def test_format_json_on_sql_status_alerts(loaded):
    rows = json.loads(
        exportwatch(
            "sql", "--db", str(loaded), "--format", "json", "SELECT month, value_eur FROM monthly_trade ORDER BY month LIMIT 1"
        ).stdout
    )
    assert isinstance(rows[0]["value_eur"], str) and rows[0]["month"] == "2019-01-01"  # DECIMAL exact, as a string

    status = json.loads(exportwatch("status", "--db", str(loaded), "--format", "json").stdout)
    assert {"series", "runs"} <= status.keys() and status["series"] and status["runs"][0]["status"] == "loaded"
    lines = exportwatch("status", "--db", str(loaded), "--format", "jsonl").stdout.splitlines()
    assert {json.loads(line)["section"] for line in lines} == {"series", "runs"}

    alerts = exportwatch("alerts", "--db", str(loaded), "--format", "json")
    assert alerts.returncode == 0 and isinstance(json.loads(alerts.stdout), list)


def test_several_statements(empty_db):
    table = exportwatch("sql", "--db", str(empty_db), "SELECT 1 AS first; SELECT 2 AS second")
    assert table.returncode == 0 and "first" in table.stdout and "second" in table.stdout
    jsonl = exportwatch("sql", "--db", str(empty_db), "--format", "jsonl", "SELECT 1 AS first; SELECT 2 AS second")
    assert [json.loads(line) for line in jsonl.stdout.splitlines()] == [{"first": 1}, {"second": 2}]
    assert_one_clean_line(exportwatch("sql", "--db", str(empty_db), "--format", "json", "SELECT 1; SELECT 2"), code=2)


def test_load_prints_its_summary_as_json(tmp_path, loaded, genesis):
    from flows.demo.genesis_server import flat_file
    from tests.support import TABLE, make_observations

    path = tmp_path / f"{TABLE}_flat.csv"
    path.write_text(flat_file(genesis.state, TABLE, make_observations(), "de"), encoding="utf-8-sig")
    result = exportwatch("load", "--db", str(loaded), "--format", "json", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] in ("loaded", "unchanged")


def test_load_says_why_nothing_was_inserted(tmp_path, genesis):
    """The same file twice: loaded, then loaded already; a file of the same values in another
    order: nothing new. Each summary is one line that fits 80 columns."""
    from flows.demo.genesis_server import flat_file
    from tests.support import TABLE, make_observations

    db = tmp_path / "w.duckdb"
    observations = make_observations()
    path = tmp_path / f"{TABLE}_flat.csv"
    path.write_text(flat_file(genesis.state, TABLE, observations, "de"), encoding="utf-8-sig")
    reordered = tmp_path / f"{TABLE}_reordered_flat.csv"
    reordered.write_text(flat_file(genesis.state, TABLE, observations[::-1], "de"), encoding="utf-8-sig")

    lines = []
    for file in (path, path, reordered):
        result = exportwatch("load", "--db", str(db), str(file))
        assert result.returncode == 0, result.stderr
        lines += result.stdout.splitlines()

    assert re.fullmatch(r"loaded: [1-9]\d* row\(s\) inserted, 0 closed by revisions \(\d+\.\d s\)\.", lines[0])
    assert re.fullmatch(r"unchanged: this file's data is loaded already; nothing inserted \(\d+\.\d s\)\.", lines[1])
    assert re.fullmatch(r"unchanged: no value in this file is new to the warehouse \(\d+\.\d s\)\.", lines[2])
    assert len(lines) == 3 and max(map(len, lines)) <= 80


@pytest.mark.slow
def test_a_failing_update_is_one_line_without_a_traceback(tmp_path, genesis):
    for _ in range(5):
        genesis.state.add_fault(Fault(body=b"<html>maintenance [/] [link=x]</html>", headers={"Content-Type": "text/html"}))
    db = tmp_path / "w.duckdb"
    env = {
        "GENESIS_API_URL": genesis.base_url,
        "GENESIS_TOKEN": TOKEN,
        "EXPORTWATCH_WATCHLIST__COUNTRIES": '["RU"]',
    }
    result = exportwatch("update", "--db", str(db), "--format", "json", env=env, timeout=600)
    assert_one_clean_line(result)
    assert "HTML page" in result.stderr and "[genesis] api_url" in result.stderr and "[request: data/tablefile" in result.stderr

    genesis.state.faults.clear()
    result = exportwatch("update", "--db", str(db), "--format", "json", env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "loaded"
    assert "Traceback" not in result.stderr and "INFO" not in result.stderr  # warnings only (the alerts have no channel)
    assert query(db, "SELECT count(*) FROM update_runs WHERE status = 'failed'") == [(1,)]


@pytest.mark.slow
def test_status_shows_every_run_also_one_that_found_nothing_new(tmp_path, genesis):
    """ "Did today's job run?": a run answered "nothing newer" (status 50) is listed too."""
    db = tmp_path / "w.duckdb"
    env = {"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": TOKEN, "EXPORTWATCH_WATCHLIST__COUNTRIES": '["RU"]'}
    summaries = []
    for _ in range(2):
        result = exportwatch("update", "--db", str(db), "--format", "json", env=env, timeout=600)
        assert result.returncode == 0, result.stderr
        summaries.append(json.loads(result.stdout))
    assert [s["status"] for s in summaries] == ["loaded", "unchanged"]
    observations = query(db, "SELECT count(*) FROM observations")

    runs = json.loads(exportwatch("status", "--db", str(db), "--format", "json").stdout)["runs"]

    assert [(r["status"], r["requests"], r["rows_inserted"], r["rows_closed"]) for r in runs] == [
        ("unchanged", 1, 0, 0),  # the newest first
        ("loaded", summaries[0]["requests"], summaries[0]["rows_inserted"], 0),
    ]
    assert query(db, "SELECT count(*) FROM observations") == observations
    table = exportwatch("status", "--db", str(db)).stdout
    assert "unchanged" in table and "loaded" in table


@pytest.mark.slow
def test_markup_in_a_genesis_status_text_is_printed_and_stored_literally(tmp_path, genesis):
    # Issue 13 #5: such a text once crashed the update, and, stored in the run log, every later status and runs.
    text = "Tabelle [/] gesperrt: [link=http://x]click[/link] [conceal]x[/conceal]"
    genesis.state.add_fault(Fault(status_code=90, status_content=text))
    db = tmp_path / "w.duckdb"
    env = {"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": TOKEN, "EXPORTWATCH_WATCHLIST__COUNTRIES": '["RU"]'}
    result = exportwatch("update", "--db", str(db), env=env, timeout=600)
    assert_one_clean_line(result)
    assert f"GENESIS status 90: {text}" in result.stderr
    assert query(db, "SELECT status, error LIKE ? FROM update_runs", [f"%{text}%"]) == [("failed", True)]

    for format in ("table", "json", "csv"):
        status = exportwatch("status", "--db", str(db), "--format", format, env={"COLUMNS": ""})  # a pipe: not narrowed
        assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
        assert text in status.stdout, (format, status.stdout)
    runs = exportwatch("runs", "--format", "json", timeout=600)
    assert runs.returncode == 0 and "Traceback" not in runs.stderr, runs.stderr
    assert any(text in run["message"] for run in json.loads(runs.stdout)), runs.stdout
    table = exportwatch("runs", "--format", "table", env={"COLUMNS": ""}, timeout=600)
    assert table.returncode == 0 and "Traceback" not in table.stderr, table.stderr
    assert "[link=http://x]click[/link]" in table.stdout and "[conceal]x[/conceal]" in table.stdout


def heeding_ctrl_c() -> None:
    """In the child before it starts: SIGINT as in a terminal. Under nohup or in a shell's background
    job the test runner ignores SIGINT, and a child would inherit that and never see the Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    "module, args, line",
    [
        # while the console script imports the command line (Typer): the first tenth of a second
        ("flows.cli", ["--version"], "interrupted (Ctrl-C) while starting; nothing was done."),
        # in a command before its own handling begins, where Typer would exit 130 without a word
        ("warehouse.queries", ["status"], "interrupted (Ctrl-C)."),
    ],
)
def test_ctrl_c_while_a_command_starts_is_one_line_not_a_traceback(tmp_path, module, args, line):
    """A real SIGINT, sent by the command's own process as it imports `module`."""
    script = f"""
import os, signal, sys
from importlib.abc import MetaPathFinder


class CtrlCOnImport(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, CtrlCOnImport())
sys.argv = ["exportwatch", *{args!r}]
from flows.console import main

main()
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path, preexec_fn=heeding_ctrl_c
    )
    assert (result.returncode, result.stdout, result.stderr) == (130, "", line + "\n")


def test_the_console_script_is_the_guarded_entry_point():
    (script,) = entry_points(group="console_scripts", name="exportwatch")
    assert script.value == "flows.console:main"


@pytest.mark.slow
def test_ctrl_c_during_an_update_stops_within_seconds_and_leaves_nothing(tmp_path, genesis):
    genesis.state.add_fault(Fault(stall_seconds=120))  # the fetch hangs: the user presses Ctrl-C
    db = tmp_path / "w.duckdb"
    env = {"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": TOKEN, "EXPORTWATCH_WATCHLIST__COUNTRIES": '["RU"]'}
    environment = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_"))}
    environment.update(env, PREFECT_HOME=str(tmp_path / "prefect"))
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "update", "--db", str(db)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=heeding_ctrl_c,
    )
    deadline = time.monotonic() + 400
    while not genesis.state.requests_to("data/tablefile") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert genesis.state.requests_to("data/tablefile"), "the update never reached GENESIS"
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - interrupted <= 30  # the issue asks for 5 s; generous under a loaded CI machine
    assert process.returncode == 130
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) <= 3, stderr
    assert "interrupted" in stderr
    assert not (db.parent / (db.name + ".update-lock")).exists() or _lock_is_free(db)
    if db.exists():
        assert query(db, "SELECT count(*) FROM observations") == [(0,)]


def start_load(flat, db, archive) -> subprocess.Popen:
    """`exportwatch load` of a file in a process that heeds Ctrl-C as in a terminal."""
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "load", "--db", str(db), str(flat)],
        env={**os.environ, "EXPORTWATCH_WAREHOUSE__ARCHIVE_DIR": str(archive)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=heeding_ctrl_c,
    )


@pytest.mark.slow
def test_ctrl_c_during_a_load_stops_with_one_line_and_loads_nothing(tmp_path):
    from benchmarks import generate

    flat = generate.write(tmp_path / "51000-0012_flat.csv", 1_000_000)
    db = tmp_path / "w.duckdb"
    process = start_load(flat, db, tmp_path / "raw")
    staging = db.parent / (db.name + ".staging")
    deadline = time.monotonic() + 120
    while not staging.exists() and time.monotonic() < deadline:  # the run has begun: the lock is held
        time.sleep(0.05)
    time.sleep(0.3)
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - interrupted <= 30  # seconds here; generous under a loaded CI machine
    assert (process.returncode, stdout) == (130, ""), (stdout, stderr)
    assert stderr.startswith("interrupted:") and len(stderr.strip().splitlines()) == 1, stderr
    assert _lock_is_free(db)
    assert not list((tmp_path / "raw" / "incoming").glob("*"))
    if db.exists():
        assert query(db, "SELECT count(*) FROM observations") == [(0,)]


@pytest.mark.slow
def test_ctrl_c_while_duckdb_reads_a_zip_stops_the_load_with_one_line(tmp_path):
    """DuckDB reports a query it stopped for Ctrl-C as RuntimeError("Query interrupted"), not as
    KeyboardInterrupt: the command still says "interrupted" in one line, no traceback."""
    from benchmarks import generate

    flat = generate.write(tmp_path / "51000-0012_flat.zip", 1_000_000)
    db = tmp_path / "w.duckdb"
    process = start_load(flat, db, tmp_path / "raw")
    staging = db.parent / (db.name + ".staging")
    deadline = time.monotonic() + 120
    # The member streams into DuckDB through a named pipe while DuckDB reads it (flows/pipeline/flat_zip.py).
    while not list(staging.glob("*/*.pipe")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(staging.glob("*/*.pipe")), "the load never began to read the ZIP"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stdout) == (130, ""), (stdout, stderr)
    assert stderr.startswith("interrupted:") and len(stderr.strip().splitlines()) == 1, stderr
    assert _lock_is_free(db)
    if db.exists():
        assert query(db, "SELECT count(*) FROM observations") == [(0,)]


# A rule the fixture's RU series crosses (exports fall by two thirds from March 2022): the first
# update raises alerts, so it goes on to send them once its load has committed.
ALERTING_CONFIG = """
[watchlist]
countries = ["RU"]

[alerts]
channels = ["{channel}"]
delivery_backoff_seconds = 0

[[alerts.rules]]
name = "ru-exports-fall"
countries = ["RU"]
flow = "export"
metric = "yoy_pct"
threshold = -30.0
"""


@pytest.mark.slow
def test_ctrl_c_after_the_load_committed_stops_the_run_as_failed_saying_the_data_was_loaded(tmp_path, genesis):
    """Issue 12 #3: Ctrl-C while the alerts go out to a slow channel: the command ends within
    seconds with one line saying the data was loaded, the rows stay, the lock is free, and Prefect
    records a Failed run that says so, not a Crashed one."""
    receiver = Receiver()
    receiver.release.clear()  # the channel takes the message and answers only when released: a hanging webhook
    config = tmp_path / "exportwatch.toml"
    # rto: Apprise's read timeout, longer than the test: only the stop can end the send
    config.write_text(ALERTING_CONFIG.format(channel=f"{receiver.url}?rto=120"), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_", "PREFECT_"))}
    environment.update(GENESIS_API_URL=genesis.base_url, GENESIS_TOKEN=TOKEN, PREFECT_HOME=str(tmp_path / "prefect"))
    command = [sys.executable, "-m", "flows.cli", "update", "--db", str(db), "--config", str(config)]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=heeding_ctrl_c
    )
    try:
        # The first message reaches the channel only after the load's commit.
        assert receiver.arrived.wait(timeout=400), "no alert reached the channel"
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        stopped_after = time.monotonic() - interrupted
    finally:
        process.kill()
        receiver.release.set()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("error: The data of this run WAS loaded (") and "stopped (SIGINT received)" in stderr, stderr
    assert stopped_after <= 5, stopped_after
    assert query(db, "SELECT count(*) > 0 FROM observations") == [(True,)]
    assert query(db, "SELECT status FROM update_runs") == [("loaded",)]

    runs = json.loads(
        subprocess.run(
            [*command[:3], "runs", "--format", "json"], env=environment, capture_output=True, text=True, timeout=600
        ).stdout
    )
    assert [(run["state"], run["message"].startswith("The data of this run WAS loaded")) for run in runs] == [("Failed", True)], (
        runs
    )

    again = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr  # the update lock was released
    assert query(db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL") == [(0,)]  # the rest went out now


def _lock_is_free(db) -> bool:
    from flows.pipeline.run_lock import update_lock

    with update_lock(db, 0.5):
        return True


def test_sql_and_help_import_neither_prefect_nor_pandas_and_load_not_prefect(empty_db, tmp_path, genesis):
    """What makes them start fast (benchmarks/startup.py measures it). A load into a fresh warehouse
    binds parameters from its first migration on (warehouse/parameters.py keeps DuckDB from
    importing pandas for that) and reads a local file (no GENESIS client, no httpx)."""
    from flows.demo.genesis_server import flat_file
    from tests.support import TABLE, make_observations

    flat = tmp_path / f"{TABLE}_flat.csv"
    flat.write_text(flat_file(genesis.state, TABLE, make_observations(), "de"), encoding="utf-8-sig")
    heavy = {"prefect", "pandas", "rich", "pandera"}
    for args, forbidden in (
        (["sql", "--db", str(empty_db), "SELECT 1"], heavy),
        (["--help"], heavy),
        (["load", "--db", str(tmp_path / "fresh.duckdb"), str(flat)], {"prefect", "pandas", "numpy", "pyarrow", "httpx"}),
    ):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "flows.cli", *args], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, (args, result.stderr[-2000:])
        imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
        assert not imported & forbidden, (args, imported & forbidden)
