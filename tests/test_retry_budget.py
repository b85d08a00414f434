"""How long a run waits for GENESIS, and that it stops waiting when told to.

The retry budget bounds the total time a run spends retrying (requests retrying side by side count
once); Retry-After is honoured only up to a cap; SIGTERM ends every wait within a second and the
update lock is free again; user information in api_url reaches no output, file or table. Real
HTTP on 127.0.0.1 against the fake GENESIS server, commands as real processes.
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows import shutdown
from flows.errors import GenesisBusy, GenesisTransportError, TemporaryError
from flows.genesis.client import local_request_slot, redact_url, split_userinfo
from flows.genesis.credentials import Credentials
from flows.genesis.request import TableRequest
from flows.genesis.retry_budget import RetryBudget
from flows.orchestration.run_origin import current_run_origin
from flows.pipeline.fetch import build_client
from flows.pipeline.run_lock import update_lock
from flows.pipeline.run_origin import RunOrigin
from tests.fake_genesis import Fault
from tests.support import RU, TABLE, TOKEN

SCHEDULE_WORDS = re.compile(r"schedul", re.IGNORECASE)


def dead_url() -> str:
    """A GENESIS URL on a port where nothing listens: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/genesisWS/rest/2020/"


def request(year: int = 2025) -> TableRequest:
    return TableRequest(TABLE, (RU,), ("WERTA",), year, year)


# -- the budget ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_failing_side_by_side_spend_the_budget_once():
    clock = Clock()
    budget = RetryBudget(30, clock)
    first = budget.start(100.0)
    clock.now = 105.0
    second = budget.start(103.0)  # failing since 103, while the first still fails
    clock.now = 110.0
    assert budget.spent() == 10.0  # 100..110, not 10 + 7
    budget.finish(first)
    budget.finish(second)
    clock.now = 200.0
    assert budget.spent() == 10.0  # answered requests stop counting
    third = budget.start(200.0)
    clock.now = 215.0
    assert budget.spent() == 25.0 and budget.remaining() == 5.0
    clock.now = 240.0
    assert budget.remaining() == 0.0
    budget.finish(third)


def test_connection_refused_gives_up_when_the_budget_is_spent(settings):
    settings.genesis.api_url = dead_url()
    settings.genesis.retry_backoff_seconds = 0.4
    settings.genesis.retry_budget_seconds = 2
    settings.genesis.retry_attempts = 10  # the budget, not the attempts, ends the retries
    client = build_client(settings, Credentials(TOKEN, ""))
    started = time.monotonic()
    try:
        with pytest.raises(GenesisTransportError) as caught:
            client.tablefile(request())
    finally:
        client.close()
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 4
    assert isinstance(caught.value, TemporaryError)
    message = str(caught.value)
    attempts = int(re.search(r"no usable answer after (\d+) attempts \(2 s retry budget used up\)", message).group(1))
    assert attempts == client.requests_sent and 2 <= attempts <= 6  # 0.4, 0.8, then the rest of the 2 s
    assert "check [genesis] api_url and the network, or run again later" in message
    assert not SCHEDULE_WORDS.search(message)


def test_three_threads_retrying_at_once_do_not_spend_the_budget_three_times_as_fast(settings):
    settings.genesis.api_url = dead_url()
    settings.genesis.retry_backoff_seconds = 0.2
    settings.genesis.retry_budget_seconds = 2
    settings.genesis.retry_attempts = 10  # the budget, not the attempts, ends the retries
    client = build_client(settings, Credentials(TOKEN, ""))
    failures: list[float] = []

    def fetch(year: int) -> None:
        with pytest.raises(GenesisTransportError):
            client.tablefile(request(year))
        failures.append(time.monotonic() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=fetch, args=(year,)) for year in (2023, 2024, 2025)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        client.close()
    assert len(failures) == 3
    assert all(1.5 <= seconds < 4 for seconds in failures), failures


def test_a_scheduled_run_waits_longer_and_says_the_next_run_will_try(settings):
    settings.genesis.api_url = dead_url()
    settings.genesis.retry_budget_seconds = 0
    settings.genesis.scheduled_retry_budget_seconds = 0.5
    settings.genesis.retry_backoff_seconds = 0.05
    for origin, expected_attempts in ((RunOrigin.MANUAL, 1), (RunOrigin.SCHEDULE, settings.genesis.retry_attempts)):
        client = build_client(settings, Credentials(TOKEN, ""), origin=origin)
        try:
            with pytest.raises(GenesisTransportError) as caught:
                client.tablefile(request())
        finally:
            client.close()
        assert client.requests_sent <= expected_attempts
        assert bool(SCHEDULE_WORDS.search(str(caught.value))) == (origin is RunOrigin.SCHEDULE)
        if origin is RunOrigin.SCHEDULE:
            assert client.requests_sent > 1 and "the next scheduled run will try again" in str(caught.value)


def test_a_flow_called_from_the_command_line_is_a_manual_run(prefect_harness):
    from prefect import flow

    @flow
    def origin() -> RunOrigin:
        return current_run_origin()

    assert origin() is RunOrigin.MANUAL
    assert current_run_origin() is RunOrigin.MANUAL


# -- Retry-After -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["86400", "1e400", (datetime.now(UTC) + timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")]
)
def test_retry_after_beyond_the_cap_fails_at_once_naming_the_time(genesis, settings, value):
    settings.genesis.max_retry_after_seconds = 300
    genesis.state.add_fault(Fault(http_status=503, headers={"Retry-After": value}))
    client = build_client(settings, Credentials(TOKEN, ""))
    started = time.monotonic()
    try:
        with pytest.raises(GenesisBusy) as caught:
            client.tablefile(request())
    finally:
        client.close()
    assert time.monotonic() - started < 2
    assert len(genesis.state.received) == 1
    message = str(caught.value)
    assert "GENESIS is busy (HTTP 503) and asked to come back in" in message
    assert "more than [genesis] max_retry_after_seconds (300 s)" in message
    if value != "1e400":
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        assert re.search(rf"at {tomorrow:%Y-%m-%d} \d\d:\d\d:\d\d UTC", message), message
    assert isinstance(caught.value, TemporaryError)


def test_retry_after_within_the_cap_but_beyond_the_budget_fails_at_once(genesis, settings):
    settings.genesis.retry_budget_seconds = 20
    genesis.state.add_fault(Fault(http_status=429, headers={"Retry-After": "120"}))
    client = build_client(settings, Credentials(TOKEN, ""))
    try:
        with pytest.raises(
            GenesisBusy, match=r"asked to come back in 120 s, at .* UTC: more than the 20 s left of this run's retry budget"
        ):
            client.tablefile(request())
    finally:
        client.close()
    assert len(genesis.state.received) == 1


def test_retry_after_within_cap_and_budget_is_waited_for(genesis, settings):
    settings.genesis.retry_budget_seconds = 20
    genesis.state.add_fault(Fault(http_status=503, headers={"Retry-After": "1"}))
    client = build_client(settings, Credentials(TOKEN, ""))
    try:
        outcome = client.tablefile(request())
    finally:
        client.close()
    first, second = genesis.state.requests_to("data/tablefile")
    assert outcome.responses and second.at - first.at >= 1


# -- stopping a wait -------------------------------------------------------------------------------


def test_a_stop_ends_a_back_off_in_another_thread_at_once(genesis, settings):
    settings.genesis.retry_budget_seconds = 600
    genesis.state.add_fault(Fault(http_status=503, headers={"Retry-After": "120"}))
    client = build_client(settings, Credentials(TOKEN, ""))
    raised: list[BaseException] = []

    def fetch() -> None:
        try:
            client.tablefile(request())
        except BaseException as error:
            raised.append(error)

    worker = threading.Thread(target=fetch)
    try:
        worker.start()
        while not genesis.state.received:
            time.sleep(0.01)
        time.sleep(0.2)  # now in its 120 s wait
        stopped_at = time.monotonic()
        shutdown.request_stop("SIGTERM received")
        worker.join(timeout=5)
        assert time.monotonic() - stopped_at < 1
    finally:
        shutdown.reset()
        client.close()
    (error,) = raised
    assert isinstance(error, shutdown.Stopped) and str(error) == "Stopped: SIGTERM received."
    assert len(genesis.state.received) == 1


def test_a_stop_ends_the_wait_for_a_request_slot():
    slot = local_request_slot(1)
    raised: list[BaseException] = []

    def wait_for_the_slot() -> None:
        try:
            with slot():
                pass
        except BaseException as error:
            raised.append(error)

    try:
        with slot():  # the only slot, held
            waiter = threading.Thread(target=wait_for_the_slot)
            waiter.start()
            time.sleep(0.3)
            shutdown.request_stop()
            waiter.join(timeout=2)
            assert not waiter.is_alive()
    finally:
        shutdown.reset()
    assert [type(e) for e in raised] == [shutdown.Stopped]


def waiting_for(slot) -> tuple[threading.Thread, list[BaseException]]:
    """A thread that has started to enter the request slot `slot`, and what it raises (collected)."""
    raised: list[BaseException] = []
    entered = threading.Event()

    def enter() -> None:
        try:
            entered.set()
            with slot():
                pass
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=enter)
    thread.start()
    entered.wait()
    return thread, raised


@pytest.mark.slow
def test_a_stop_ends_the_wait_for_a_slot_of_the_global_limit(prefect_harness):
    from flows.orchestration.request_slots import SLOT_POLL_SECONDS, prefect_request_slot, set_request_limit

    set_request_limit(1, name="test-stop-slots")
    holder, waiter = prefect_request_slot(3, name="test-stop-slots"), prefect_request_slot(3, name="test-stop-slots")
    try:
        with holder():  # the only slot of the limit, held as another process would
            thread, raised = waiting_for(waiter)
            time.sleep(SLOT_POLL_SECONDS + 0.5)  # waiting at the Prefect API now
            stopped_at = time.monotonic()
            shutdown.request_stop()
            thread.join(timeout=30)
            waited = time.monotonic() - stopped_at
    finally:
        shutdown.reset()
    assert [type(e) for e in raised] == [shutdown.Stopped]
    assert waited < SLOT_POLL_SECONDS + 3


@pytest.mark.slow
def test_closing_the_slots_of_an_ended_run_ends_the_wait_for_a_slot(prefect_harness):
    """A failed run leaves its other requests waiting for a slot: close() stops them, and returns
    once none of them is still asking the Prefect API (which the CLI stops right after)."""
    from flows.orchestration.request_slots import (
        CLOSE_WAIT_SECONDS,
        SLOT_POLL_SECONDS,
        RequestSlotUnavailable,
        prefect_request_slot,
        set_request_limit,
    )

    set_request_limit(1, name="test-close-slots")
    holder, run = prefect_request_slot(3, name="test-close-slots"), prefect_request_slot(3, name="test-close-slots")
    with holder():  # the only slot of the limit, held as another process would
        thread, raised = waiting_for(run)
        time.sleep(SLOT_POLL_SECONDS + 0.5)  # waiting at the Prefect API now
        closed_at = time.monotonic()
        run.close()
        closed_after = time.monotonic() - closed_at
        thread.join(timeout=1)  # close() returned: the thread no longer asks, it is leaving
        assert not thread.is_alive()
    assert [type(e) for e in raised] == [RequestSlotUnavailable]
    assert "the run has ended" in str(raised[0])
    assert closed_after < CLOSE_WAIT_SECONDS
    with holder():  # the ended run holds no slot
        pass


# -- through the command line ----------------------------------------------------------------------


def command_env(tmp_path: Path, api_url: str, **extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_", "PREFECT_"))}
    if PREFECT_API_URL.value():  # the session's Prefect server, if the test has it
        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        GENESIS_API_URL=api_url,
        GENESIS_TOKEN=TOKEN,
        EXPORTWATCH_CONFIG=str(tmp_path / "exportwatch.toml"),
        **extra,
    )
    return env


def write_config(tmp_path: Path, genesis_section: str = "") -> Path:
    """The defaults for everything about retries, unless genesis_section says otherwise."""
    data = tmp_path / "data"
    (tmp_path / "exportwatch.toml").write_text(
        f"[genesis]\n{genesis_section}\n"
        f'[watchlist]\ncountries = ["RU", "KG"]\nsince = 2019\n\n'
        f'[warehouse]\npath = "{data / "exportwatch.duckdb"}"\narchive_dir = "{data / "raw"}"\nlock_timeout_seconds = 1\n',
        encoding="utf-8",
    )
    return data / "exportwatch.duckdb"


def exportwatch(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.mark.slow
def test_connection_refused_fails_a_manual_update_within_30_seconds(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    write_config(tmp_path)
    env = command_env(tmp_path, dead_url())
    started = time.monotonic()
    result = exportwatch("update", env=env)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    # The flow run, as Prefect timed it: on a loaded machine importing pandas & co. alone can
    # take longer than the retries, and that is not what the budget bounds.
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(limit=1, sort=FlowRunSort.START_TIME_DESC)
    assert run.state_name == "Failed"
    assert (run.end_time - run.start_time).total_seconds() <= 30
    assert elapsed <= 120, f"took {elapsed:.0f} s"
    attempts = int(re.search(r"no usable answer after (\d+) attempts \(20 s retry budget used up\)", result.stderr).group(1))
    # one level of retries: the client's; the retries are -v detail, the error line counts them
    assert 3 <= attempts <= 7
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert "check [genesis] api_url and the network, or run again later" in result.stderr
    assert not SCHEDULE_WORDS.search(result.stderr + result.stdout)


@pytest.mark.slow
def test_check_with_connection_refused_answers_within_seconds(tmp_path):
    write_config(tmp_path)
    env = command_env(tmp_path, dead_url())
    started = time.monotonic()
    result = exportwatch("check", env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 75  # temporary: unreachable, try later
    assert elapsed < 60, f"took {elapsed:.0f} s"  # the retries: 5 s; the rest is starting Python on a busy machine
    attempts = int(re.search(r"no usable answer after (\d+) attempts \(5 s retry budget used up\)", result.stderr).group(1))
    assert 2 <= attempts <= 5
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert not SCHEDULE_WORDS.search(result.stderr)


@pytest.mark.slow
def test_sigterm_ends_a_long_wait_of_an_update_and_frees_the_lock(prefect_harness, genesis, tmp_path):
    warehouse = write_config(tmp_path, "retry_budget_seconds = 600\nmax_retry_after_seconds = 600\n")
    genesis.state.add_fault(Fault(http_status=503, headers={"Retry-After": "300"}))
    env = command_env(tmp_path, genesis.base_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "update"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not genesis.state.requests_to("data/tablefile") and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.1)
        time.sleep(1)  # the 503 is answered: the run waits its 300 s now
        assert process.poll() is None
        with pytest.raises(Exception, match="Another update"):  # it holds the update lock
            with update_lock(warehouse, 0):
                pass
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
        ended = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert ended < 10, f"took {ended:.1f} s after SIGTERM"
    assert process.returncode != 0
    assert len(genesis.state.requests_to("data/tablefile")) == 1  # stopped in the wait, not retried
    with update_lock(warehouse, 0):  # a second update can take the lock at once
        pass


# -- user information in api_url ---------------------------------------------------------------------

URL_USER, URL_SECRET = "gateway-user", "URL-SECRET-6c1d9e"


def test_user_information_is_split_off_and_redacted():
    url, auth = split_userinfo(f"http://{URL_USER}:{URL_SECRET}@example.org/genesisWS/rest/2020/")
    assert url == "http://example.org/genesisWS/rest/2020/"
    assert auth is not None
    assert split_userinfo("https://example.org/x/") == ("https://example.org/x/", None)
    assert redact_url(f"at http://{URL_USER}:{URL_SECRET}@example.org/x/ and http://TOKEN123@h/") == (
        f"at http://{URL_USER}:***@example.org/x/ and http://***@h/"
    )
    assert redact_url(f"http://u:p@ss{URL_SECRET}@host/") == "http://u:***@host/"  # up to the last @


def rows_holding(path: Path, secret: str) -> list[str]:
    """Tables of the DuckDB or SQLite file at path with a row holding secret (pages may compress a string)."""
    head = path.read_bytes()[:16]
    if head[8:12] == b"DUCK":
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()]
            return [t for t in tables if any(secret in str(row) for row in con.execute(f'SELECT * FROM "{t}"').fetchall())]
        finally:
            con.close()
    if head.startswith(b"SQLite format 3\x00"):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [t for t in tables if any(secret in str(row) for row in con.execute(f'SELECT * FROM "{t}"'))]
        finally:
            con.close()
    return []


def prefect_texts() -> list[str]:
    """What the Prefect API holds of the runs: log messages and state messages."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        logs = [log.message for log in client.read_logs(limit=200)]
        return logs + [run.state.message or "" for run in client.read_flow_runs(limit=50) if run.state]


@pytest.mark.slow
def test_a_secret_in_api_url_appears_nowhere(prefect_harness, genesis, tmp_path):
    warehouse = write_config(tmp_path, "retry_backoff_seconds = 0.01\n")
    host = genesis.base_url.removeprefix("http://")
    outputs = []
    env = command_env(tmp_path, f"http://{URL_USER}:{URL_SECRET}@{host}")
    outputs.append(exportwatch("update", env=env))
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    outputs.append(exportwatch("check", env=env))
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    # the user information reached GENESIS as HTTP Basic auth, and only there
    assert all(r.headers.get("authorization", "").startswith("Basic ") for r in genesis.state.received)
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)
    for _ in range(10):
        genesis.state.add_fault(Fault(http_status=503))
    outputs.append(exportwatch("update", env=env))  # fails: the hint names the URL
    assert outputs[-1].returncode != 0
    assert f"{URL_USER}:***@" not in outputs[-1].stderr  # names the URL without any user information
    assert genesis.base_url in outputs[-1].stderr
    outputs.append(
        exportwatch("update", env=command_env(tmp_path, f"http://{URL_USER}:{URL_SECRET}@{dead_url().removeprefix('http://')}"))
    )
    assert outputs[-1].returncode != 0
    for result in outputs:
        assert URL_SECRET not in result.stdout + result.stderr
    files = [path for path in sorted(tmp_path.rglob("*")) if path.is_file()]
    assert warehouse in files and any(path.suffix == ".zip" for path in files)
    for path in files:
        assert URL_SECRET.encode() not in path.read_bytes(), path
        assert rows_holding(path, URL_SECRET) == [], path
    assert rows_holding(warehouse, "no usable answer") == ["update_runs"]  # the failed runs are recorded ...
    texts = prefect_texts()
    assert any("may be down or overloaded" in t for t in texts)  # ... and so are they in Prefect
    assert not [t for t in texts if URL_SECRET in t]
