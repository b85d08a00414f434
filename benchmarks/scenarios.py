"""Scheduled-run scenarios against the demo's GENESIS server (in this process) with injected latency:
a full backfill of 51000-0004 for all 262 countries since 2008, the first scheduled run after it,
a no-op scheduled run (nothing published since), a scheduled run after one revised value, and a
full refresh (everything requested again, as a backfill does). Prints one JSON object.

    python -m benchmarks.scenarios [--latency 0.2] [--since 2008] [--countries 262] [--work DIR]

The server file is not changed: a handler subclass here sleeps `latency` seconds before every
data/tablefile and data/resultfile answer and counts the requests and the bytes of every answer body.
The fake server runs in this process, where building a 30,000-value answer in Python (about 0.3 s)
would compete with the client for the interpreter; GENESIS does that work on its own machines. So
answers are kept once built, and built before the measured runs by a warm-up backfill into a
scratch warehouse; a change of the table's data (the revision scenario) builds them anew, and that
work is reported as the server's own.
"""

import argparse
import json
import math
import random
import resource
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flows.config import Settings
from flows.demo.genesis_server import GenesisHandler, GenesisServer, GenesisState, Observation
from flows.genesis.credentials import Credentials
from flows.pipeline.fetch import build_client
from flows.pipeline.run import run_update
from warehouse.countries import countries

TABLE = "51000-0004"
TOKEN = "BENCHTOKEN-0123456789abcdef0123456789abcdef"
DELAYED = ("data/tablefile", "data/resultfile")


class LatencyHandler(GenesisHandler):
    server: "LatencyServer"

    def _answer(self, endpoint: str, form: dict[str, str]) -> None:
        with self.server.count_lock:
            self.server.requests += 1
        if endpoint in DELAYED and self.server.latency:
            time.sleep(self.server.latency)
        key = (endpoint, tuple(sorted(form.items())), self.headers.get("username", ""))
        answer = self.server.answers.get(key) if endpoint in DELAYED else None
        self.key = key if endpoint in DELAYED and answer is None else None  # what _send keeps
        if answer:
            return self._send(*answer)
        started = time.perf_counter()
        try:
            super()._answer(endpoint, form)
        finally:  # the fake server's own work (building the flat file, zipping), in the client's process
            with self.server.count_lock:
                self.server.work_s += time.perf_counter() - started

    def _send(self, status, body, content_type, headers=None) -> None:
        with self.server.count_lock:
            self.server.bytes_sent += len(body)
            if getattr(self, "key", None):
                self.server.answers[self.key] = (status, body, content_type, headers)
        super()._send(status, body, content_type, headers)


class LatencyServer(GenesisServer):
    handler_class = LatencyHandler

    def __init__(self, state: GenesisState, latency: float) -> None:
        super().__init__(state)
        self.latency = latency
        self.requests = 0
        self.bytes_sent = 0
        self.work_s = 0.0
        self.count_lock = threading.Lock()
        self.answers: dict[tuple, tuple] = {}  # (endpoint, form, user) -> the answer as sent


def realistic_observations(codes: list[str], first_year: int, last: tuple[int, int], seed: int = 4) -> list[Observation]:
    """Monthly exports and imports (thousands of EUR, integers as in 51000-0004) per country: a
    log-normal size per partner (a few partners worth billions a month, many worth little), trend,
    seasonality and noise; "-" for partners that no longer exist or trade nothing, a few secret "."
    values, and the last published year provisional ("p")."""
    rng = random.Random(seed)
    names = countries()
    rows = []
    for code in codes:
        defunct = "(bis" in names[code].name_de or "(until" in names[code].name_en
        size = min(math.exp(rng.gauss(math.log(30_000), 2.4)), 14_000_000)
        import_ratio = math.exp(rng.gauss(0, 0.6))
        growth = rng.gauss(0.03, 0.03)
        for year in range(first_year, last[0] + 1):
            for month in range(1, 13):
                if (year, month) > last:
                    continue
                season = 1 + 0.08 * math.sin(2 * math.pi * (month - 3) / 12) - (0.12 if month == 8 else 0)
                for measure, factor in (("WERTA", 1.0), ("WERTE", import_ratio)):
                    amount = size * factor * (1 + growth) ** (year - first_year) * season * rng.gauss(1, 0.08)
                    if defunct or amount < 0.5:
                        value: Decimal | str = "-"
                    elif rng.random() < 0.001:
                        value = "."
                    else:
                        value = Decimal(round(amount))
                    rows.append(Observation(code, year, month, measure, value, "p" if year == last[0] else ""))
    return rows


def timed_steps(timings: dict[str, float]):
    def step(fn):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timings[fn.__name__] = timings.get(fn.__name__, 0.0) + time.perf_counter() - started

        return timed

    return step


def process_cpu_seconds() -> float:
    """User and system CPU time of this process, all its threads (DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_scenarios(work: Path, *, latency: float, since: int, n_countries: int) -> dict:
    today = datetime.now(UTC).date()
    last_month = (today.year, today.month - 2) if today.month > 2 else (today.year - 1, today.month + 10)
    codes = sorted(countries())[:n_countries]
    state = GenesisState(tokens={TOKEN}, users={})
    published = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    observations = realistic_observations(codes, since, last_month)
    state.set_table(TABLE, observations, updated_at=published)
    results: dict = {
        "table": TABLE,
        "countries": len(codes),
        "since": since,
        "until": today.year,
        "latency_s": latency,
        "observations": len(observations),
    }
    with LatencyServer(state, latency) as server:
        settings = Settings()
        settings.genesis.api_url = server.base_url
        settings.genesis.retry_backoff_seconds = 0.01
        settings.genesis.timeout_seconds = 60
        settings.watchlist.table = TABLE
        settings.watchlist.countries = codes
        settings.watchlist.since = since
        settings.warehouse.path = work / "scenarios" / "exportwatch.duckdb"
        settings.warehouse.archive_dir = work / "scenarios" / "raw"
        client = build_client(settings, Credentials(TOKEN, ""))

        def measure(name: str, **kwargs) -> dict:
            timings: dict[str, float] = {}
            requests_before, bytes_before, work_before = server.requests, server.bytes_sent, server.work_s
            started, cpu_before = time.perf_counter(), process_cpu_seconds()
            report = run_update(settings, client, step=timed_steps(timings), **kwargs)
            wall = time.perf_counter() - started
            cpu = process_cpu_seconds() - cpu_before
            requests = server.requests - requests_before
            result = {
                "requests": requests,
                "client_requests": report.requests,
                "bytes": server.bytes_sent - bytes_before,
                "rows_inserted": report.rows_inserted,
                "rows_closed": report.rows_closed,
                "seconds": wall,
                "cpu_s": cpu,
                "fetch_s": timings.get("fetch_planned", 0.0),
                "server_work_s": server.work_s - work_before,
                "stage_s": timings.get("stage_responses", 0.0),
                "load_s": timings.get("load_batches", 0.0),
                "status": report.status,
            }
            results[name] = result
            return result

        try:
            warm_up = settings.model_copy(deep=True)
            warm_up.warehouse.path = work / "warm-up" / "exportwatch.duckdb"
            warm_up.warehouse.archive_dir = work / "warm-up" / "raw"
            run_update(warm_up, client, since=since, until=today.year)
            results["answers_built_s"] = server.work_s
            backfill = measure("backfill", since=since, until=today.year)
            # Its request waves: at most 3 requests in flight, each wave waits one latency.
            backfill["ideal_s"] = math.ceil(backfill["requests"] / 3) * latency
            measure("scheduled_after_backfill")
            measure("noop")
            # One value revised and published: the next scheduled run fetches the revision window.
            year, month = last_month
            revised_key = (codes[0], year, month, "WERTA")
            state.set_table(
                TABLE,
                [
                    replace(o, value=Decimal(123_457)) if (o.country_code, o.year, o.month, o.measure) == revised_key else o
                    for o in observations
                ],
            )
            server.answers.clear()
            measure("revision")
            measure("full_refresh", since=since, until=today.year)
        finally:
            client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--since", type=int, default=2008)
    parser.add_argument("--countries", type=int, default=262)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        print(json.dumps(run_scenarios(Path(work), latency=args.latency, since=args.since, n_countries=args.countries)))


if __name__ == "__main__":
    sys.exit(main())
