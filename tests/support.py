"""Helpers and constants the tests share: the fake GENESIS table's credentials and values, warehouse
snapshots and queries, configuration for flows, an alert receiver, the recorded GENESIS responses.
Fixtures live in conftest.py."""

import json
import threading
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

from flows.demo.genesis_server import Observation

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


FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORDINGS = FIXTURES / "genesis-recordings"


def recording(folder: str, name: str) -> Path:
    """A real recorded GENESIS response (or exchange log) from tests/fixtures/genesis-recordings/."""
    path = RECORDINGS / folder / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not among the recorded fixtures (see tests/fixtures/README.md)")
    return path
