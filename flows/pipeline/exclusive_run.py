"""One run against the warehouse, an update or `exportwatch load`: the update lock, a clean scratch
folder, and the failed run in the run log. Apart from flows/pipeline/run.py so that `exportwatch
load` imports neither the GENESIS client nor httpx."""

import logging
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flows.config import Settings
from flows.errors import ExportwatchError
from flows.genesis.archive import ResponseArchive
from flows.limits import shortened
from flows.pipeline.owned_folder import empty_owned, owned_folder
from flows.pipeline.run_lock import update_lock
from flows.pipeline.run_log import record_failure
from flows.pipeline.stage import staging_root
from warehouse.connection import WarehouseLockedError

log = logging.getLogger(__name__)


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
