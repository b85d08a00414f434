"""The reader's snapshot (`[warehouse] snapshot_path`) is always one committed state of the
warehouse, even with a writer at work; a snapshot that fails after the load says the data was
loaded (issue 13 #7)."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.errors import LOADED
from tests.support import make_observations, query
from warehouse.snapshot import publish_snapshot

ROOT = Path(__file__).resolve().parents[1]

# Commits generation after generation, each replacing the whole table by ROWS rows of its number,
# three to an opening of the file with a checkpoint after each (so the file's blocks are freed and
# written again while it is open), then closes it for a moment so a snapshot gets its turn; stops
# when killed or after 60 s.
ROWS = 200_000
WRITER = f"""
import sys, time
from pathlib import Path
from warehouse.connection import connect
path = Path(sys.argv[1])
connect(path).execute("CREATE TABLE IF NOT EXISTS gens (gen INTEGER, i INTEGER)").close()
deadline, gen = time.monotonic() + 60, 0
while time.monotonic() < deadline:
    con = connect(path, lock_timeout=30)  # waits while a snapshot is being taken
    for _ in range(3):
        gen += 1
        con.execute("BEGIN")
        con.execute("DELETE FROM gens")
        con.execute("INSERT INTO gens SELECT ?, i FROM range({ROWS}) t(i)", [gen])
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        if gen == 1:  # the empty table before it is a committed state too, but not the one tested
            print("writing", flush=True)
    con.close()
    time.sleep(0.3)
"""


@pytest.mark.slow
def test_snapshots_taken_while_a_writer_commits_are_each_one_committed_state(tmp_path):
    warehouse, snapshot = tmp_path / "w.duckdb", tmp_path / "readers" / "snapshot.duckdb"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(warehouse)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    states = []
    try:
        assert writer.stdout.readline().strip() == "writing"
        for _ in range(25):
            publish_snapshot(warehouse, snapshot, lock_timeout=30)
            con = duckdb.connect(str(snapshot), read_only=True)
            try:
                states.append(con.execute("SELECT min(gen), max(gen), count(*), sum(i) FROM gens").fetchall()[0])
            finally:
                con.close()
    finally:
        writer.kill()
        writer.wait()
    for low, high, rows, total in states:
        assert (low == high, rows, total) == (True, ROWS, ROWS * (ROWS - 1) // 2), "a snapshot that no commit left"
    assert len({high for _, high, _, _ in states}) >= 2, "the snapshots did not see the writer at work"
    assert [p.name for p in snapshot.parent.iterdir()] == ["snapshot.duckdb"], "a scratch file stayed behind"


def test_a_snapshot_has_the_warehouse_schema_views_and_macros(settings, token_client, tmp_path):
    from flows.pipeline.run import run_update

    run_update(settings, token_client)
    snapshot = publish_snapshot(settings.warehouse.path, tmp_path / "snapshot.duckdb")
    catalog = (
        "SELECT 'table', table_name, sql FROM duckdb_tables() WHERE database_name = current_database() UNION ALL "
        "SELECT 'view', view_name, sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal UNION ALL "
        "SELECT 'macro', function_name, macro_definition FROM duckdb_functions() WHERE database_name = current_database() "
        "ORDER BY ALL"
    )
    assert query(snapshot, catalog) == query(settings.warehouse.path, catalog)
    trade = "SELECT * FROM monthly_trade ORDER BY ALL"
    assert query(snapshot, trade) == query(settings.warehouse.path, trade)


@pytest.mark.prefect
def test_a_snapshot_failing_after_the_load_says_the_data_was_loaded(
    prefect_harness, flow_env, settings, genesis, receiver, monkeypatch, tmp_path
):
    from flows.update_trade import update_trade

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file of the user's", encoding="utf-8")
    monkeypatch.setenv("EXPORTWATCH_WAREHOUSE__SNAPSHOT_PATH", str(blocker / "snapshot.duckdb"))
    monkeypatch.setenv("EXPORTWATCH_ALERTS__CHANNELS", json.dumps([receiver.url]))

    state = update_trade(return_state=True)

    assert state.is_failed()
    assert LOADED in state.message and f"refreshing the snapshot {blocker / 'snapshot.duckdb'} failed" in state.message, (
        state.message
    )
    assert query(settings.warehouse.path, "SELECT count(*) FROM observations")[0][0] == len(make_observations())
    assert query(settings.warehouse.path, "SELECT status FROM update_runs") == [("loaded",)]
    notice = [m for m in receiver.messages if "failed" in m["title"]]
    assert len(notice) == 1 and LOADED in notice[0]["message"], receiver.messages
    assert "Nothing of this run was loaded" not in notice[0]["message"]
    assert blocker.read_text(encoding="utf-8") == "a file of the user's"
