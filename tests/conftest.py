"""Shared fixtures: a GENESIS-protocol server on 127.0.0.1 with a small realistic table, settings
pointing at it and at a temporary warehouse, and a client with test-speed back-off."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from flows.config import Settings
from flows.genesis.credentials import Credentials
from flows.genesis.fake_server import GenesisServer, GenesisState, Observation
from flows.pipeline import build_client

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TOKEN = "TESTTOKEN-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
USER, PASSWORD = "exportwatch-user", "PW-s3cr3t-9d8c7b6a"
TABLE = "51000-0004"
RU, KG = "STLAH075", "STLAH083"
PUBLISHED = datetime(2026, 11, 6, 7, 0)  # naive UTC: when the fake table was last updated


def series_value(country: str, year: int, month: int, measure: str) -> Decimal:
    """A deterministic value in thousands of EUR with a decimal part (exercises exact conversion)."""
    base = 2_000_000 if country == RU else 30_000
    if country == RU and year >= 2022 and month >= 3:
        base //= 3
    return Decimal(base + year * 7 + month * 31 + (0 if measure == "WERTA" else 500)) + Decimal("0.125")


def make_observations(countries=(RU, KG), years=range(2019, 2027), last_month=(2026, 9)) -> list[Observation]:
    rows = []
    for country in countries:
        for year in years:
            for month in range(1, 13):
                if (year, month) > last_month:
                    continue
                for measure in ("WERTA", "WERTE"):
                    quality = "p" if year == last_month[0] else ""
                    rows.append(Observation(country, year, month, measure, series_value(country, year, month, measure), quality))
    return rows


@pytest.fixture
def genesis():
    state = GenesisState(tokens={TOKEN}, users={USER: PASSWORD}, job_polls=2)
    state.set_table(TABLE, make_observations(), updated_at=PUBLISHED)
    with GenesisServer(state) as server:
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


DATA_TABLES = ("raw_responses", "observations", "fetch_state", "countries")


def snapshot(path: Path, tables=DATA_TABLES) -> dict[str, list[tuple]]:
    """Every row of every data table, for before/after comparisons."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def query(path: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (shared/ reference material sits beside the checkout only for developers and CI)")
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (SQLite) for the whole session, heartbeats off (they add ~1 s per run)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90), temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


# Test-speed back-off and the two fixture countries, for configuration files written by tests.
FAST_CONFIG = """
[genesis]
retry_backoff_seconds = 0.01
retry_attempts = 5
job_poll_seconds = 0.01
timeout_seconds = 5

[watchlist]
countries = ["RU", "KG"]
since = 2019
"""


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


class Receiver(ThreadingHTTPServer):
    """Collects the JSON bodies Apprise's json:// plugin posts."""

    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.arrived = threading.Event()  # set by the first message
        self.release = threading.Event()  # clear it to hold messages until it is set again
        self.release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                receiver.arrived.set()
                receiver.release.wait(timeout=30)
                receiver.messages.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()
    server.server_close()
