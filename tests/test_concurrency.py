"""Two updates at once, and readers while an update runs."""

import subprocess
import sys
import time

import duckdb
import pytest

from flows.errors import GenesisStatusError
from flows.pipeline.run import run_update
from flows.pipeline.run_lock import UpdateRunning, lock_path, update_lock
from tests.fake_genesis import Fault
from tests.support import query, snapshot

HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
handle.seek(0); handle.truncate(); handle.write("pid 4242, started earlier"); handle.flush()
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_second_update_waits_then_stops_with_a_clear_message(settings, genesis, token_client):
    run_update(settings, token_client)
    before = snapshot(settings.warehouse.path)
    path = lock_path(settings.warehouse.path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        settings.warehouse.lock_timeout_seconds = 0.5
        genesis.state.received.clear()
        started = time.monotonic()
        with pytest.raises(
            UpdateRunning, match=r"Another update of .* is running \(pid 4242, started earlier\); gave up after 0.5 s"
        ):
            run_update(settings, token_client)
        assert time.monotonic() - started >= 0.5
    finally:
        holder.kill()
        holder.wait()
    assert genesis.state.received == [], "the second run asked GENESIS nothing"
    assert snapshot(settings.warehouse.path) == before


def test_a_second_update_runs_once_the_first_has_finished(settings, genesis, token_client):
    path = lock_path(settings.warehouse.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), "1"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        settings.warehouse.lock_timeout_seconds = 30
        report = run_update(settings, token_client)
    finally:
        holder.wait()
    assert report.status == "loaded"


def test_the_lock_is_released_when_a_run_fails(settings, genesis, token_client):
    genesis.state.add_fault(Fault(status_code=90))
    with pytest.raises(GenesisStatusError):
        run_update(settings, token_client)
    with update_lock(settings.warehouse.path, timeout=0):
        pass


def test_readers_use_the_snapshot_while_an_update_holds_the_file(settings, genesis, token_client, tmp_path):
    from warehouse.snapshot import publish_snapshot

    run_update(settings, token_client)
    rows = query(settings.warehouse.path, "SELECT count(*) FROM monthly_trade")[0][0]
    snapshot_file = publish_snapshot(settings.warehouse.path, tmp_path / "data" / "exportwatch.snapshot.duckdb")
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(settings.warehouse.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "writing"  # an update in its load phase
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(settings.warehouse.path), read_only=True)
        assert query(snapshot_file, "SELECT count(*) FROM monthly_trade")[0][0] == rows
    finally:
        writer.kill()
        writer.wait()


HOLD_WAREHOUSE = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("BEGIN")
con.execute("DELETE FROM observations")
print("writing", flush=True)
time.sleep(60)
"""
