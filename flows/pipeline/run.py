"""One whole run: plan -> fetch -> stage -> load under the update lock, and the run log.

Prefect flows (flows/update_trade.py) run these same functions as tasks by passing `step`; tests
call them directly. Nothing here holds the warehouse open longer than one short read or one load.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from flows.config import Settings
from flows.genesis.client import GenesisClient
from flows.pipeline.exclusive_run import exclusive_run
from flows.pipeline.fetch import fetch_planned
from flows.pipeline.load import UpdateReport, load_batches
from flows.pipeline.plan import plan_update
from flows.pipeline.run_log import record_unchanged
from flows.pipeline.stage import already_loaded, stage_responses

log = logging.getLogger(__name__)
T = TypeVar("T")
Step = Callable[[Callable[..., T]], Callable[..., T]]


def run_directly(fn: Callable[..., T]) -> Callable[..., T]:
    return fn


def run_update(
    settings: Settings,
    client: GenesisClient,
    *,
    countries: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    run_id: str | None = None,
    step: Step = run_directly,
) -> UpdateReport:
    requests_before = client.requests_sent
    with exclusive_run(settings, run_id, requests=lambda: client.requests_sent - requests_before) as run:
        plan = step(plan_update)(settings, countries=countries, since=since, until=until)
        fetched = step(fetch_planned)(client, plan, settings.genesis.max_in_flight)
        requests = client.requests_sent - requests_before
        if all(item.outcome.unchanged for item in fetched):
            log.info("GENESIS reports no newer data for any of %d request(s); nothing to load", len(fetched))
            record_unchanged(settings, run_id=run.run_id, started_at=run.started_at, requests=requests)
            return UpdateReport(run.run_id, "unchanged", requests)
        skip = already_loaded(settings, [(r, item.planned.request.key) for item in fetched for r in item.outcome.responses])
        batches, records = step(stage_responses)(fetched, run.staging_dir, settings.warehouse.memory_limit, skip, settings.limits)
        return step(load_batches)(settings, batches, records, run_id=run.run_id, started_at=run.started_at, requests=requests)
