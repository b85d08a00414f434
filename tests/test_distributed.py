"""Two flow runs at once, each its own process and warehouse, through one Prefect server: GENESIS'
limit of 3 parallel requests holds across them because of the global concurrency limit.

The tests' GENESIS server counts the requests in flight (ScriptedGenesisState.max_in_flight); every
request is held until a fourth one is in flight (or LATENCY_SECONDS have passed), so whether the runs can
get beyond 3 does not depend on how their timing happens to fall on a busy machine. Both tests
send the same requests against the same faults; only the global limit differs. The assertions are
on what the servers recorded, never on timings.
"""

import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterName
from prefect.settings import PREFECT_API_URL

from flows.orchestration.request_slots import (
    GENESIS_REQUEST_LIMIT,
    RequestSlotUnavailable,
    ensure_request_limit,
    prefect_request_slot,
    set_request_limit,
)
from tests.fake_genesis import Fault
from tests.support import FAST_CONFIG, TOKEN

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SINCE, UNTIL = 2019, 2026
# One country and two measures make 24 values a year: one request per year, 8 per run.
VALUES_PER_YEAR = 24
REQUESTS_PER_RUN = UNTIL - SINCE + 1
LATENCY_SECONDS = 2.0  # below the client's 5 s timeout in FAST_CONFIG

# The backfill flow in a process that has done its imports (seconds on a busy machine) before it
# is told to start, so that the two runs start together.
BACKFILL_ON_GO = """
import sys
from flows.backfill import backfill
print("ready", flush=True)
sys.stdin.readline()
state = backfill(countries=[sys.argv[1]], since=int(sys.argv[2]), until=int(sys.argv[3]), config=sys.argv[4], return_state=True)
print(state.type.value, state.state_details.flow_run_id, state.message, flush=True)
"""


def run_two_backfills_at_once(genesis, tmp_path: Path) -> list[UUID]:
    """Backfill flows for RU and for KG, each in its own process with its own warehouse (so the
    warehouse lock does not serialise them), against the session's Prefect server and one fake
    GENESIS server. Returns their flow run ids."""
    for _ in range(2 * REQUESTS_PER_RUN):
        # "No newer data" once 4 requests are in flight or after a delay: the runs overlap while
        # fetching, then have nothing to validate or load (what they would load is not what this
        # test is about).
        genesis.state.add_fault(Fault(stall_seconds=LATENCY_SECONDS, stall_until_in_flight=4, status_code=50))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_", "PREFECT_"))}
    env.update(
        PREFECT_API_URL=PREFECT_API_URL.value(),
        PREFECT_HOME=str(tmp_path / "prefect"),
        GENESIS_API_URL=genesis.base_url,
        GENESIS_TOKEN=TOKEN,
    )
    processes = []
    for country in ("RU", "KG"):
        folder = tmp_path / country
        config = tmp_path / f"{country}.toml"
        config.write_text(
            FAST_CONFIG.replace("[genesis]\n", f"[genesis]\ndialog_value_limit = {VALUES_PER_YEAR}\n")
            + f'\n[warehouse]\npath = "{folder / "exportwatch.duckdb"}"\narchive_dir = "{folder / "raw"}"\n',
            encoding="utf-8",
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", BACKFILL_ON_GO, country, str(SINCE), str(UNTIL), str(config)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        )
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=180)[0].split() for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert [r[0] for r in results] == ["COMPLETED", "COMPLETED"], results
    return [UUID(r[1]) for r in results]


def fetches_overlapped(flow_run_ids: list[UUID]) -> bool:
    """Prefect's record of the two runs' fetch tasks: both were fetching at the same time."""
    with get_client(sync_client=True) as client:
        fetches = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids)),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="fetch-planned")),
        )
    assert len(fetches) == 2
    return max(f.start_time for f in fetches) < min(f.end_time for f in fetches)


def test_two_runs_at_once_never_have_more_than_three_requests_in_flight(prefect_harness, genesis, tmp_path):
    set_request_limit(3)

    flow_runs = run_two_backfills_at_once(genesis, tmp_path)

    assert len(genesis.state.requests_to("data/tablefile")) == 2 * REQUESTS_PER_RUN
    assert fetches_overlapped(flow_runs), "the runs did not fetch at the same time, so the limit was not put to the test"
    # At most 3, not exactly 3: a freed slot is taken only when a waiting run asks again, after
    # the Retry-After of Prefect's refusal (random, around the slots' mean occupancy), and a busy
    # Prefect server answers late; so 3 at once is likely, not certain (CI once saw 2). That the
    # same runs go beyond 3 without the limit is the control below.
    assert genesis.state.max_in_flight <= 3


def test_with_a_higher_global_limit_the_same_runs_exceed_three(prefect_harness, genesis, tmp_path):
    """The control: each process still keeps to 3 by itself, but together they go beyond."""
    set_request_limit(10)
    try:
        flow_runs = run_two_backfills_at_once(genesis, tmp_path)
    finally:
        set_request_limit(3)

    assert fetches_overlapped(flow_runs)
    assert genesis.state.max_in_flight > 3


def test_a_missing_limit_fails_the_request_and_the_flow_creates_it(prefect_harness):
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(GENESIS_REQUEST_LIMIT)
        with pytest.raises(RequestSlotUnavailable, match=f"prefect gcl create {GENESIS_REQUEST_LIMIT} --limit 3"):
            with prefect_request_slot(3)():
                pytest.fail("a request ran without a slot of the global limit")

        ensure_request_limit(3)

        created = client.read_global_concurrency_limit_by_name(GENESIS_REQUEST_LIMIT)
    assert (created.limit, created.active) == (3, True)


def test_a_disabled_limit_is_reported(prefect_harness, caplog):
    set_request_limit(3)
    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(GENESIS_REQUEST_LIMIT, GlobalConcurrencyLimitUpdate(active=False))
    try:
        ensure_request_limit(3)
    finally:
        set_request_limit(3)  # enables it again
    assert f"{GENESIS_REQUEST_LIMIT} is disabled" in caplog.text and f"prefect gcl enable {GENESIS_REQUEST_LIMIT}" in caplog.text
