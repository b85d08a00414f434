"""Shared fixtures: a GENESIS-protocol server on 127.0.0.1 with a small realistic table, settings
pointing at it and at a temporary warehouse, clients with test-speed back-off, a Prefect test API,
an alert receiver. Helpers and constants the tests import are in tests/support.py."""

import pytest

from flows.config import Settings
from flows.genesis.credentials import Credentials
from flows.pipeline.fetch import build_client
from tests.fake_genesis import ScriptedGenesisServer, ScriptedGenesisState
from tests.support import FAST_CONFIG, PASSWORD, PUBLISHED, TABLE, TOKEN, USER, Receiver, make_observations


@pytest.fixture
def genesis():
    state = ScriptedGenesisState(tokens={TOKEN}, users={USER: PASSWORD}, job_polls=2)
    state.set_table(TABLE, make_observations(), updated_at=PUBLISHED)
    with ScriptedGenesisServer(state) as server:
        yield server


@pytest.fixture
def settings(tmp_path, genesis) -> Settings:
    s = Settings()
    s.genesis.api_url = genesis.base_url
    s.genesis.retry_backoff_seconds = 0.01
    s.genesis.retry_attempts = 5  # the fault scripts of the suite count on 5 attempts
    s.genesis.job_poll_seconds = 0.01
    s.genesis.timeout_seconds = 5
    s.watchlist.countries = ["RU", "KG"]
    s.watchlist.since = 2019
    s.warehouse.path = tmp_path / "data" / "exportwatch.duckdb"
    s.warehouse.archive_dir = tmp_path / "data" / "raw"
    s.warehouse.lock_timeout_seconds = 2
    return s


@pytest.fixture
def token_client(settings):
    client = build_client(settings, Credentials(TOKEN, ""))
    yield client
    client.close()


@pytest.fixture
def user_client(settings):
    client = build_client(settings, Credentials(USER, PASSWORD))
    yield client
    client.close()


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (SQLite) for the whole session, heartbeats off (they add ~1 s per run)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90), temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture
def flow_env(settings, genesis, monkeypatch, tmp_path):
    """Environment for running flows and commands: the fake server's URL, a token, the temp warehouse."""
    monkeypatch.setenv("GENESIS_API_URL", genesis.base_url)
    monkeypatch.setenv("GENESIS_TOKEN", TOKEN)
    monkeypatch.delenv("GENESIS_USERNAME", raising=False)
    monkeypatch.delenv("GENESIS_PASSWORD", raising=False)
    config = tmp_path / "exportwatch.toml"
    config.write_text(
        FAST_CONFIG
        + f"""
[warehouse]
path = "{settings.warehouse.path}"
archive_dir = "{settings.warehouse.archive_dir}"
lock_timeout_seconds = 1
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("EXPORTWATCH_CONFIG", str(config))
    return config


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()
    server.server_close()
