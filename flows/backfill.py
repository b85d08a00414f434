"""One-off flow: load a span of years for some countries, whatever was fetched before."""

from pathlib import Path

from prefect import flow

from flows.config import load_settings
from flows.orchestration.flow_failures import failing_cleanly
from flows.orchestration.run_hooks import notify_failure
from flows.update_trade import run_flow_body, summary


@flow(name="backfill", on_failure=[notify_failure])
@failing_cleanly
def backfill(
    countries: list[str],
    since: int,
    until: int | None = None,
    config: str | None = None,
    db: str | None = None,
) -> dict:
    """Request every year since..until (default: this year) for the countries and load it."""
    settings = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    until = until if until is not None else 9999
    return summary(run_flow_body(settings, countries=countries, since=since, until=until))
