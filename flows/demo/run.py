"""`exportwatch demo`: start the local GENESIS-protocol server with the demo data, run the real
update_trade flow against it, and summarise what landed in the warehouse."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from importlib import resources
from pathlib import Path

from flows.config import ENV_API_URL, load_settings
from flows.demo.data import DEMO_TOKEN, demo_state
from flows.demo.genesis_server import GenesisServer
from flows.genesis.credentials import ENV_PASSWORD, ENV_TOKEN, ENV_USERNAME
from flows.money import format_millions
from warehouse import queries
from warehouse.connection import open_warehouse
from warehouse.results import scalar


@contextmanager
def demo_environment(base_url: str) -> Iterator[None]:
    """Point the flow at the local server with the demo token; the user's own credentials are
    set aside for the duration, so they never leave for the demo server."""
    names = (ENV_API_URL, ENV_TOKEN, ENV_USERNAME, ENV_PASSWORD)
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ[ENV_API_URL] = base_url
    os.environ[ENV_TOKEN] = DEMO_TOKEN
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def demo_config_path() -> Path:
    return Path(str(resources.files("flows.demo") / "demo.toml"))


def run_demo(db: Path | None = None, run_flow: Callable[..., dict] | None = None) -> list[str]:
    """Run the demo; run_flow (the CLI's, with its temporary API and error contract) runs the flow by name."""
    config = demo_config_path()
    settings = load_settings(config, db=db)
    with GenesisServer(demo_state()) as server, demo_environment(server.base_url):
        parameters = dict(config=str(config), db=str(db) if db else None)
        if run_flow:
            result = run_flow("update_trade", **parameters)
        else:
            from flows.update_trade import update_trade

            result = update_trade(**parameters)
    return summarise(settings.warehouse.path, result)


def summarise(path: Path, result: dict) -> list[str]:
    with open_warehouse(path) as con:
        total = scalar(con, "SELECT count(*) FROM observations")
        _, march = queries.run(con, "series_month", {"iso2": "RU", "flow": "export", "month": date(2022, 3, 1)})
        _, kg_years = queries.run(con, "yearly_totals", {"iso2": "KG", "flow": "export"})
    lines = [
        "exportwatch demo — Eurostat Comext figures served as GENESIS table 51000-0004 by a local server",
        f"This run: {result['status']}, {result['requests']} request(s), {result['rows_inserted']} row(s) inserted; "
        f"{total} observations in {path}.",
    ]
    if march:
        month, value, yoy = march[0]
        lines.append(f"Exports to Russia, March 2022: {format_millions(value)}, {yoy:+.1f} % on March 2021.")
    totals = {year: value for year, value, _ in kg_years}
    if 2021 in totals and 2023 in totals:
        lines.append(
            f"Exports to Kyrgyzstan: {format_millions(totals[2021], decimals=0)} in 2021 → {format_millions(totals[2023], decimals=0)} in 2023 "
            f"(× {totals[2023] / totals[2021]:.1f})."
        )
    lines.append(
        f"Alerts (demo rule: exports to Russia ≤ -30 % year on year): {result['alerts_raised']} raised in this run; "
        f"list them with: uv run exportwatch alerts --db {path}"
    )
    lines += [
        "Query it next:",
        f"  uv run exportwatch sql --db {path} \"SELECT month, value_eur, yoy_pct FROM monthly_trade WHERE country_iso2 = 'RU' ORDER BY month\"",
        f"  uv run exportwatch status --db {path}",
        f"  uv run duckdb -readonly {path}    (the DuckDB command-line tool)",
    ]
    return lines
