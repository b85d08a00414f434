"""The run log (update_runs): every run's row, also when the warehouse could not be written then.

A run that fails because a reader holds the warehouse file (or finds nothing newer while one does)
cannot write its row. It keeps it in a file beside the warehouse, named after it, and the next run
that writes the run log adds it (once: a row whose run_id is there already is skipped), so `status`
still answers "did the job run, and why did it fail?"."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flows.config import Settings
from flows.errors import ValidationFailed
from warehouse.connection import WarehouseLockedError, open_warehouse
from warehouse.errors import WarehouseError
from warehouse.load import record_quality_issues, record_run
from warehouse.results import scalar

log = logging.getLogger(__name__)
# Bounds on the file, which only our runs write: more unrecorded runs than this are not kept.
MAX_UNRECORDED_BYTES = 1 << 20


@dataclass(frozen=True)
class UnrecordedRun:
    run_id: str
    started_at: datetime
    finished_at: datetime
    status: str
    requests: int
    error: str | None


def unrecorded_runs_file(settings: Settings) -> Path:
    path = settings.warehouse.path
    return path.with_name(path.name + ".unrecorded-runs.jsonl")


def keep_unrecorded_run(settings: Settings, run: UnrecordedRun) -> None:
    file = unrecorded_runs_file(settings)
    try:
        if file.exists() and file.stat().st_size > MAX_UNRECORDED_BYTES:
            log.warning("%s is full; this run is not kept for the run log", file)
            return
        line = json.dumps(asdict(run), default=datetime.isoformat, ensure_ascii=False)
        with file.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
    except OSError as error:
        log.warning("could not keep the run for the run log in %s: %s", file, error)


def record_unrecorded_runs(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Add the kept runs to update_runs, inside the caller's transaction; how many were added."""
    file = unrecorded_runs_file(settings)
    if not file.is_file():
        return 0
    added = 0
    for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            fields = json.loads(line)
            run = UnrecordedRun(**fields | {k: datetime.fromisoformat(fields[k]) for k in ("started_at", "finished_at")})
        except (ValueError, TypeError) as error:  # a line cut by a crash
            log.warning("%s: skipped a line that is not a kept run (%s)", file, error)
            continue
        if scalar(con, "SELECT count(*) FROM update_runs WHERE run_id = ?", [run.run_id]):
            continue
        record_run(con, run.run_id, run.started_at, run.finished_at, run.status, run.requests, 0, 0, run.error)
        added += 1
    return added


@contextmanager
def run_log_transaction(con: duckdb.DuckDBPyConnection, settings: Settings) -> Iterator[None]:
    """One transaction that writes the run log: the caller's rows, then the kept runs; the file
    of kept runs goes once that has committed."""
    con.begin()
    yield
    record_unrecorded_runs(con, settings)
    con.commit()
    unrecorded_runs_file(settings).unlink(missing_ok=True)


def add_unrecorded_runs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """After a load: the kept runs in a transaction of their own (the load has committed)."""
    if not unrecorded_runs_file(settings).is_file():
        return
    try:
        with run_log_transaction(con, settings):
            pass
    except duckdb.Error as error:
        con.rollback()
        log.warning("the load committed, but the runs kept for the run log could not be added yet: %s", error)


def record_unchanged(settings: Settings, *, run_id: str, started_at: datetime, requests: int) -> None:
    """Write a run that found nothing newer to the run log, so `status` answers "did today's job
    run?"; the data tables stay as they were. Losing this row must not fail a run that did nothing:
    a reader holding the file costs the log line, not the run."""
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with open_warehouse(
            settings.warehouse.location,
            lock_timeout=settings.warehouse.lock_timeout_seconds,
            memory_limit=settings.warehouse.memory_limit,
        ) as con:
            with run_log_transaction(con, settings):
                record_run(con, run_id, started_at, now, "unchanged", requests, 0, 0, None)
    except (duckdb.Error, WarehouseError, OSError) as logging_error:
        log.warning("GENESIS had nothing newer, but the run could not be recorded in the warehouse yet: %s", logging_error)
        keep_unrecorded_run(settings, UnrecordedRun(run_id, started_at, now, "unchanged", requests, None))


def record_failure(settings: Settings, *, run_id: str, started_at: datetime, requests: int, error: Exception) -> None:
    """Write the failed run (and validation failure cases) to the run log; the data tables stay as they were."""
    now = datetime.now(UTC).replace(tzinfo=None)
    # A reader holding the file made the run fail: wait only briefly for it to let go.
    lock_timeout = (
        min(settings.warehouse.lock_timeout_seconds, 2)
        if isinstance(error, WarehouseLockedError)
        else settings.warehouse.lock_timeout_seconds
    )
    try:
        with open_warehouse(settings.warehouse.location, lock_timeout=lock_timeout) as con:
            with run_log_transaction(con, settings):
                record_run(con, run_id, started_at, now, "failed", requests, 0, 0, str(error))
                if isinstance(error, ValidationFailed):
                    record_quality_issues(
                        con,
                        detected_at=now,
                        run_id=run_id,
                        table_code=error.table or "",
                        sha256=Path(error.archived or "").stem,
                        failure_cases=error.failure_cases,
                    )
    except Exception as logging_error:  # the original error matters more than its bookkeeping
        log.error("could not record the failed run in the warehouse yet (the next run will): %s", logging_error)
        keep_unrecorded_run(settings, UnrecordedRun(run_id, started_at, now, "failed", requests, str(error)))
