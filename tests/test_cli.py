"""The exportwatch command as a user runs it: a real process, real HTTP to the fake server."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.pipeline.run import run_update
from tests.support import RU, TOKEN, query, series_value

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def prefect_home(tmp_path, monkeypatch):
    """Commands that start Prefect keep its database in the test's folder, not in the checkout."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))


def exportwatch(
    *args: str, env: dict | None = None, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_"))}
    environment.update(env or {})
    if cwd is not None:  # flows.cli is imported from this checkout wherever the command runs
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), environment.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=environment, timeout=timeout, cwd=cwd
    )


@pytest.fixture
def loaded(settings, token_client):
    run_update(settings, token_client)
    return settings.warehouse.path


def test_read_commands_find_the_demo_warehouse_when_there_is_no_other(tmp_path, loaded):
    """Right after `exportwatch demo`, `status` and `sql` as the README prints them (no --db)."""
    newcomer = tmp_path / "newcomer"
    (newcomer / "data").mkdir(parents=True)
    shutil.copy(loaded, newcomer / "data" / "demo.duckdb")
    notice = "no data/exportwatch.duckdb yet; showing the demo warehouse data/demo.duckdb"

    status = exportwatch("status", cwd=newcomer)
    assert status.returncode == 0, status.stderr
    assert status.stderr.strip() == notice and "Russian Federation" in status.stdout
    counted = exportwatch("sql", "--format", "csv", "SELECT count(*) AS n FROM monthly_trade", cwd=newcomer)
    assert counted.returncode == 0 and counted.stderr.strip() == notice
    assert counted.stdout.splitlines() == ["n", "372"]

    named = exportwatch("sql", "--db", "data/other.duckdb", "SELECT 1", cwd=newcomer)  # a named warehouse is never swapped
    assert named.returncode == 1 and "No warehouse at data/other.duckdb" in named.stderr and notice not in named.stderr
    shutil.copy(loaded, newcomer / "data" / "exportwatch.duckdb")  # once the real one exists, it is the one shown
    own = exportwatch("sql", "SELECT 1 AS one", cwd=newcomer)
    assert own.returncode == 0 and own.stderr == "", own.stderr


def test_sql_answers_in_csv_and_json(loaded):
    result = exportwatch(
        "sql",
        "--db",
        str(loaded),
        "--format",
        "csv",
        "SELECT country_iso2, count(*) AS n FROM monthly_trade GROUP BY 1 ORDER BY 1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["country_iso2,n", "KG,186", "RU,186"]
    result = exportwatch(
        "sql",
        "--db",
        str(loaded),
        "--format",
        "json",
        "SELECT value_eur FROM monthly_trade WHERE country_iso2 = 'RU' AND flow = 'export' AND month = DATE '2022-03-01'",
    )
    assert f'"value_eur": "{series_value(RU, 2022, 3, "WERTA") * 1000}"' in result.stdout


def test_sql_is_read_only(loaded):
    result = exportwatch("sql", "--db", str(loaded), "DELETE FROM observations")
    assert result.returncode == 1
    assert "read-only" in result.stderr
    assert duckdb.connect(str(loaded), read_only=True).execute("SELECT count(*) FROM observations").fetchone()[0] > 0


def test_sql_without_a_warehouse_says_what_to_do(tmp_path):
    result = exportwatch("sql", "--db", str(tmp_path / "none.duckdb"), "SELECT 1")
    assert result.returncode == 1
    assert "No warehouse at" in result.stderr and "exportwatch update" in result.stderr


def test_sql_during_an_update_gives_a_clear_message(loaded):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(loaded),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = exportwatch("sql", "--db", str(loaded), "SELECT 1", env={"EXPORTWATCH_WAREHOUSE__LOCK_TIMEOUT_SECONDS": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 75  # temporary: try again later
    assert "in use by another process" in result.stderr


def test_status_lists_series_and_runs(loaded):
    result = exportwatch("status", "--db", str(loaded))
    assert result.returncode == 0, result.stderr
    assert "Russian Federation" in result.stdout and "2026-09-01" in result.stdout and "loaded" in result.stdout


def test_check_reports_whether_credentials_work(genesis):
    good = exportwatch("check", env={"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": TOKEN})
    bad = exportwatch("check", env={"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": "wrong-token"})
    assert good.returncode == 0 and "Credentials work" in good.stdout
    assert bad.returncode == 1 and "rejected the credentials" in bad.stderr
    assert all(r.headers["username"] in (TOKEN, "wrong-token") for r in genesis.state.requests_to("helloworld/logincheck"))


def test_update_without_credentials_points_to_the_demo(tmp_path):
    result = exportwatch("update", "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 1
    assert "GENESIS_TOKEN" in result.stderr and "GENESIS_USERNAME" in result.stderr and "exportwatch demo" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_an_unknown_country_is_named(tmp_path):
    result = exportwatch("update", "--db", str(tmp_path / "w.duckdb"), "--country", "XY", env={"GENESIS_TOKEN": "t"})
    assert result.returncode == 1
    assert "Unknown country 'XY'" in result.stderr


def test_a_bad_config_file_is_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[watchlist]\nmeasures = ['WERTX']\n[genesis]\ntoken = 'x'\n")
    result = exportwatch("sql", "--config", str(config), "SELECT 1")
    assert result.returncode == 1
    assert str(config) in result.stderr and "WERTX" in result.stderr and "genesis.token" in result.stderr


def test_alerts_lists_and_tests_channels(loaded, settings, receiver):
    from flows.alerts.channels import Channel
    from flows.alerts.process import process_alerts

    settings.alerts.channels = [receiver.url]
    process_alerts(settings)  # the default rule on the fixture series: Russia's 2022 drop as history

    listing = exportwatch("alerts", "--db", str(loaded), "--status", "delivered")
    assert listing.returncode == 0, listing.stderr
    assert "russia-exports-yoy" in listing.stdout and "historical" in listing.stdout
    assert "russia-exports-yoy" not in exportwatch("alerts", "--db", str(loaded), "--status", "pending").stdout
    # The value column is named for what it is (a percentage or an index), next to the metric it is of.
    listed = json.loads(exportwatch("alerts", "--db", str(loaded), "--format", "json").stdout)
    stored = query(loaded, "SELECT alert_id, metric, round(metric_value, 1) FROM alerts")
    assert [(a["alert_id"], a["metric"], a["metric_value"]) for a in listed] == sorted(stored, reverse=True)
    assert all(a["metric"] == "yoy_pct" for a in listed) and "metric_pct" not in listed[0]

    down = "json://127.0.0.1:9/hook"
    result = exportwatch("alerts", "test", env={"EXPORTWATCH_ALERTS__CHANNELS": json.dumps([receiver.url, down])})
    assert result.returncode == 1
    assert "ok     json://127.0.0.1" in result.stdout and "FAILED json://127.0.0.1:9" in result.stdout
    assert receiver.messages[-1]["title"] == "exportwatch: test message"
    body = receiver.messages[-1]["message"]
    assert "test message from exportwatch" in body and "It is not an alert" in body
    assert f"to the channel {Channel(receiver.url).display}" in body  # which channel, as the terminal line shows it
