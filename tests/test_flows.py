"""The Prefect flows under a temporary Prefect API: warehouse rows, the run's artifact, failed states."""

import json
from datetime import datetime
from decimal import Decimal

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.backfill import backfill
from flows.orchestration.run_summary import ARTIFACT_KEY
from flows.update_trade import update_trade
from tests.fake_genesis import Fault
from tests.support import RU, TABLE, make_observations, query

pytestmark = pytest.mark.prefect


def latest_artifact() -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY])))
    return max(artifacts, key=lambda a: a.created).data


def test_update_trade_loads_and_publishes_what_changed(prefect_harness, flow_env, settings, genesis):
    first = update_trade()

    assert first["status"] == "loaded" and first["rows_inserted"] == len(make_observations())
    assert query(settings.warehouse.path, "SELECT count(*) FROM monthly_trade")[0][0] == len(make_observations())
    artifact = latest_artifact()
    assert "# exportwatch update: loaded" in artifact and f"| {first['rows_inserted']} |" in artifact

    genesis.state.revise(TABLE, RU, 2026, 8, "WERTA", Decimal("777.5"), updated_at=datetime(2099, 1, 1))
    second = update_trade()

    assert (second["rows_inserted"], second["rows_closed"], second["revised_months"]) == (1, 1, 1)
    artifact = latest_artifact()
    assert "## Revised months" in artifact and "| RU | exports | 2026-08 |" in artifact and "→ 0.778 m EUR |" in artifact


def test_an_unchanged_run_says_so(prefect_harness, flow_env, settings, genesis, monkeypatch, tmp_path):
    reader_copy = tmp_path / "data" / "snapshot.duckdb"
    monkeypatch.setenv("EXPORTWATCH_WAREHOUSE__SNAPSHOT_PATH", str(reader_copy))
    update_trade()
    assert query(reader_copy, "SELECT count(*) FROM observations") == query(
        settings.warehouse.path, "SELECT count(*) FROM observations"
    )
    assert update_trade()["status"] == "unchanged"
    assert "# exportwatch update: unchanged" in latest_artifact()
    assert query(settings.warehouse.path, "SELECT status, rows_inserted FROM update_runs ORDER BY started_at")[1:] == [
        ("unchanged", 0)
    ]  # the run log shows the run that found nothing newer


def test_a_failing_run_ends_failed_with_the_clear_error(prefect_harness, flow_env, settings, genesis):
    genesis.state.add_fault(Fault(status_code=90))

    state = update_trade(return_state=True)

    assert state.is_failed()
    assert "51000-0004" in state.message and "status 90" in state.message


def test_backfill_loads_exactly_the_years_asked(prefect_harness, flow_env, settings, genesis):
    result = backfill(countries=["KG"], since=2020, until=2021)

    assert result["rows_inserted"] == 2 * 12 * 2
    assert query(settings.warehouse.path, "SELECT DISTINCT year(month) FROM observations ORDER BY 1") == [(2020,), (2021,)]
    assert all("stand" not in r.form for r in genesis.state.requests_to("data/tablefile"))


def test_a_failing_run_notifies_the_channels_without_their_secrets(
    prefect_harness, flow_env, settings, genesis, receiver, monkeypatch
):
    secret_channel = f"{receiver.url}?:token=ch4nnel-S3CRET-abc"  # an Apprise URL whose query holds a token
    monkeypatch.setenv("EXPORTWATCH_ALERTS__CHANNELS", json.dumps([secret_channel]))
    genesis.state.add_fault(Fault(status_code=-1))

    state = update_trade(return_state=True)

    assert state.is_failed()
    assert len(receiver.messages) == 1
    notice = receiver.messages[0]
    assert "update-trade run" in notice["title"] and "failed" in notice["title"]
    assert "kein Datenquader" in notice["message"] and "51000-0004" in notice["message"]


def test_alerts_are_raised_in_the_flow_and_listed_in_the_artifact(
    prefect_harness, flow_env, settings, genesis, receiver, monkeypatch
):
    monkeypatch.setenv("EXPORTWATCH_ALERTS__CHANNELS", json.dumps([receiver.url]))
    update_trade()  # first load: the russia-exports-yoy default rule (-20 %) sees the 2022 drop as history
    genesis.state.revise(TABLE, RU, 2026, 9, "WERTA", Decimal("10"), updated_at=datetime(2099, 1, 1))

    result = update_trade()

    assert result["alerts_raised"] == 1 and result["alerts_pending"] == 0
    assert [m["title"] for m in receiver.messages][-1].endswith("2026-09 below threshold")
    artifact = latest_artifact()
    assert "## Alerts" in artifact and "September 2026" in artifact and "after a revision" in artifact


def test_runs_lists_recent_flow_runs_with_state_and_duration(prefect_harness, flow_env, settings, genesis):
    from flows.orchestration.run_history import recent_runs

    genesis.state.add_fault(Fault(status_code=90))
    update_trade(return_state=True)  # a failed run
    update_trade()  # a completed one

    columns, rows = recent_runs(limit=2)

    assert columns == ["flow", "run", "state", "started (UTC)", "duration", "message"]
    assert [(r[0], r[2]) for r in rows] == [("update-trade", "Completed"), ("update-trade", "Failed")]
    assert rows[0][4].endswith(" s") and "status 90" in rows[1][5]
