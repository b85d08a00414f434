"""The demo series (flows/demo/eurostat-comext-exports.csv) as the demo GENESIS server's table 51000-0004."""

import csv
from datetime import datetime
from decimal import Decimal
from importlib import resources

from flows.demo.genesis_server import GenesisState, Observation

DEMO_TABLE = "51000-0004"
DEMO_TOKEN = "exportwatch-demo-token"  # known only to the local demo server
# The demo server says the table was last updated then; a second demo run sends `stand` and gets 50.
DEMO_PUBLISHED = datetime(2024, 10, 9, 6, 0)


def demo_observations() -> list[Observation]:
    text = (resources.files("flows.demo") / "eurostat-comext-exports.csv").read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(text.splitlines()):
        year, month = (int(part) for part in row["month"].split("-"))
        thousands = Decimal(row["value_eur"]) / 1000  # GENESIS delivers Tsd. EUR
        rows.append(Observation(row["stlah"], year, month, "WERTA", thousands, "p" if year == 2024 else ""))
    return rows


def demo_state() -> GenesisState:
    state = GenesisState(tokens={DEMO_TOKEN}, users={})
    state.set_table(DEMO_TABLE, demo_observations(), updated_at=DEMO_PUBLISHED)
    return state
