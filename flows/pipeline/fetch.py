"""Fetch: a GENESIS client for one run, and every planned request fetched into the raw archive,
a few at a time."""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flows.config import Settings
from flows.genesis.archive import ResponseArchive
from flows.genesis.client import GenesisClient, JobPolicy, RetryPolicy, TableOutcome, fetch_table
from flows.genesis.credentials import Credentials
from flows.pipeline.plan import PlannedRequest
from flows.pipeline.run_origin import RunOrigin

# Progress of a run as log records with a `progress` attribute (done, total); the CLI draws a bar.
progress_log = logging.getLogger("flows.progress")


@dataclass(frozen=True)
class FetchedRequest:
    planned: PlannedRequest
    outcome: TableOutcome


def build_client(
    settings: Settings,
    credentials: Credentials,
    *,
    origin: RunOrigin = RunOrigin.MANUAL,
    budget_seconds: float | None = None,
    **overrides: Any,
) -> GenesisClient:
    """A client for one run. Its retry budget is the manual or the scheduled one by `origin`, or
    `budget_seconds` where given."""
    g = settings.genesis
    if budget_seconds is None:
        budget_seconds = g.retry_budget_seconds if origin.attended else g.scheduled_retry_budget_seconds
    retry = RetryPolicy(
        attempts=g.retry_attempts,
        backoff_seconds=g.retry_backoff_seconds,
        budget_seconds=budget_seconds,
        max_retry_after_seconds=g.max_retry_after_seconds,
    )
    return GenesisClient(
        g.api_url,
        credentials,
        ResponseArchive(settings.warehouse.archive_dir),
        timeout_seconds=g.timeout_seconds,
        retry=retry,
        job=JobPolicy(poll_seconds=g.job_poll_seconds, timeout_seconds=g.job_timeout_seconds),
        max_in_flight=g.max_in_flight,
        scheduled=origin is RunOrigin.SCHEDULE,
        limits=settings.limits,
        **overrides,
    )


def fetch_planned(
    client: GenesisClient,
    plan: list[PlannedRequest],
    max_in_flight: int = 3,
    on_fetched: Callable[[FetchedRequest], None] | None = None,
) -> list[FetchedRequest]:
    """Fetch every planned request, at most max_in_flight at once (the client enforces it too);
    `on_fetched` gets each one as soon as it has arrived (the run starts staging it)."""
    done = 0

    def fetch(planned: PlannedRequest) -> TableOutcome:
        nonlocal done
        outcome = fetch_table(client, planned.request, stand=planned.stand)
        if on_fetched is not None:
            on_fetched(FetchedRequest(planned, outcome))
        done += 1
        progress_log.info(
            "fetched %d/%d: %s (%s)",
            done,
            len(plan),
            planned.request.describe(),
            "unchanged" if outcome.unchanged else f"{len(outcome.responses)} file(s)",
            extra={"progress": (done, len(plan))},
        )
        return outcome

    pool = ThreadPoolExecutor(max_workers=max_in_flight)
    try:
        outcomes = list(pool.map(fetch, plan))
    except BaseException:
        # Ctrl-C, SIGTERM or a failed request: do not wait for requests still in flight (up to the HTTP timeout).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [FetchedRequest(p, o) for p, o in zip(plan, outcomes)]
