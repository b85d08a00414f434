"""One whole run: plan -> fetch and stage (each response as it arrives) -> load under the update
lock, and the run log.

Prefect flows (flows/update_trade.py) run these same functions as tasks by passing `step`; tests
call them directly. Nothing here holds the warehouse open longer than one short read or one load.
"""

import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from flows.config import Settings
from flows.genesis.client import GenesisClient
from flows.pipeline.exclusive_run import exclusive_run
from flows.pipeline.fetch import fetch_planned
from flows.pipeline.load import UpdateReport, load_batches
from flows.pipeline.plan import plan_update
from flows.pipeline.run_log import record_unchanged
from flows.pipeline.stage import ResponseStager, loaded_before, stage_responses

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
        read_loaded = partial(loaded_before, settings, [planned.request.key for planned in plan])
        # Each response is staged as soon as it arrives, while the other requests are in flight.
        with ResponseStager(run.staging_dir, settings.warehouse.memory_limit, settings.limits, read_loaded) as stager:
            fetched = step(fetch_planned)(client, plan, settings.genesis.max_in_flight, stager.submit)
            requests = client.requests_sent - requests_before
            if all(item.outcome.unchanged for item in fetched):
                log.info("GENESIS reports no newer data for any of %d request(s); nothing to load", len(fetched))
                record_unchanged(settings, run_id=run.run_id, started_at=run.started_at, requests=requests)
                return UpdateReport(run.run_id, "unchanged", requests)
            batches, records = step(stage_responses)(fetched, stager=stager)
        return step(load_batches)(settings, batches, records, run_id=run.run_id, started_at=run.started_at, requests=requests)
