"""One whole run: plan -> fetch -> stage -> load under the update lock, and the run log.

Prefect flows (flows/update_trade.py) run these same functions as tasks by passing `step`; tests
call them directly. Nothing here holds the warehouse open longer than one short read or one load.
"""

import logging
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from flows.config import Settings
from flows.errors import ExportwatchError
from flows.genesis.archive import ResponseArchive
from flows.genesis.client import GenesisClient
from flows.limits import shortened
from flows.pipeline.fetch import fetch_planned
from flows.pipeline.load import UpdateReport, load_batches
from flows.pipeline.owned_folder import empty_owned, owned_folder
from flows.pipeline.plan import plan_update
from flows.pipeline.run_lock import update_lock
from flows.pipeline.run_log import record_failure, record_unchanged
from flows.pipeline.stage import already_loaded, stage_responses, staging_root
from warehouse.connection import WarehouseLockedError

log = logging.getLogger(__name__)
T = TypeVar("T")
Step = Callable[[Callable[..., T]], Callable[..., T]]


def run_directly(fn: Callable[..., T]) -> Callable[..., T]:
    return fn


def discard_leftovers(settings: Settings) -> None:
    """Scratch files of runs that were killed. Called under the update lock, so no other run of this
    warehouse uses the staging folder; the archive may be shared, so only idle partial downloads go."""
    empty_owned(staging_root(settings))
    ResponseArchive(settings.warehouse.archive_dir).discard_partial()


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: datetime
    staging_dir: Path


@contextmanager
def exclusive_run(settings: Settings, run_id: str | None = None, requests: Callable[[], int] = lambda: 0) -> Iterator[Run]:
    """One run against the warehouse (an update or `exportwatch load`): the update lock, a clean
    scratch folder, and, when it fails with a clear error, the failed run in the run log."""
    run_id = run_id or uuid.uuid4().hex
    with update_lock(settings.warehouse.path, settings.warehouse.lock_timeout_seconds):
        discard_leftovers(settings)
        run = Run(run_id, datetime.now(UTC).replace(tzinfo=None), owned_folder(staging_root(settings)) / run_id)
        try:
            yield run
        except (ExportwatchError, WarehouseLockedError) as error:
            shorten_error(error, settings, run.run_id)
            record_failure(settings, run_id=run.run_id, started_at=run.started_at, requests=requests(), error=error)
            raise
        finally:
            shutil.rmtree(run.staging_dir, ignore_errors=True)


def shorten_error(error: Exception, settings: Settings, run_id: str) -> None:
    """Cut the text of an error to [limits] error_text_chars, for the terminal and update_runs alike
    (foreign text, e.g. a listing of 50,000 ZIP members, can make it megabytes); the whole text goes
    to a file in the archive folder, beside the raw bodies it is about."""
    text = str(error)
    limit = settings.limits.error_text_chars
    if len(text) <= limit:
        return
    full_text = settings.warehouse.archive_dir / "errors" / f"{run_id}.txt"
    try:
        full_text.parent.mkdir(parents=True, exist_ok=True)
        full_text.write_text(text, encoding="utf-8", errors="replace")
    except OSError as write_error:
        log.warning("could not keep the full error text: %s", write_error)
        full_text = None
    error.args = (shortened(text, limit, str(full_text) if full_text else None),)


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
