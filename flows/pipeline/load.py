"""Load: the staged batches into the warehouse in one transaction, and what the load changed."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from flows import shutdown
from flows.config import Settings
from flows.pipeline.run_log import add_unrecorded_runs
from warehouse import queries
from warehouse.batch import Batch, FetchRecord
from warehouse.connection import open_warehouse
from warehouse.load import load

log = logging.getLogger(__name__)


@dataclass
class UpdateReport:
    run_id: str
    status: str  # loaded | unchanged
    requests: int
    rows_inserted: int = 0
    rows_closed: int = 0
    load_ts: datetime | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)  # a sample: the latest 50 of each kind
    alerts: Any = None  # flows.alerts.process.AlertOutcome, filled in by the flow
    # Of the rows inserted: first publications (replacing nothing or the placeholder ...), revisions
    # of published values, and changes of the quality flag alone (see warehouse/queries/change_counts.sql).
    new_count: int = 0
    revised_count: int = 0
    quality_count: int = 0
    # exportwatch load: the file's data was loaded before (the same bytes, or the same flat file in
    # other bytes), so nothing was staged or inserted.
    already_loaded: bool = False

    @property
    def new(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["change"] == "new"]

    @property
    def revised(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["change"] == "revised"]


def load_batches(
    settings: Settings,
    batches: list[Batch],
    records: list[FetchRecord],
    *,
    run_id: str,
    started_at: datetime,
    requests: int,
) -> UpdateReport:
    load_ts = datetime.now(UTC).replace(tzinfo=None)
    with open_warehouse(
        settings.warehouse.location,
        lock_timeout=settings.warehouse.lock_timeout_seconds,
        memory_limit=settings.warehouse.memory_limit,
    ) as con:
        result = load(con, batches, records, run_id=run_id, started_at=started_at, load_ts=load_ts, requests=requests)
        shutdown.defer_interrupts()  # committed: a signal from now on only asks the steps after the load to stop
        add_unrecorded_runs(con, settings)
        changes, counts = describe_changes(con, load_ts) if result.rows_inserted else ([], (0, 0, 0))
    status = "loaded" if result.rows_inserted or result.rows_closed else "unchanged"
    return UpdateReport(run_id, status, requests, result.rows_inserted, result.rows_closed, load_ts, changes, None, *counts)


def describe_changes(con: duckdb.DuckDBPyConnection, load_ts: datetime) -> tuple[list[dict[str, Any]], tuple[int, int, int]]:
    """The run report's sample of what the load changed, and the counts of first publications,
    revisions and quality changes. The load has committed by now, so a failure here (out of
    memory, say) costs the report's detail, not the run."""
    try:
        return queries.changes_at(con, load_ts), queries.change_counts(con, load_ts)
    except duckdb.Error as error:
        log.warning("the load committed, but its changes could not be described for the run report: %s", error)
        return [], (0, 0, 0)
