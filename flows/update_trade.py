"""The scheduled flow: fetch what GENESIS published since the last run, load it, raise alerts.

plan requests -> fetch (retried) -> parse and validate -> load -> evaluate alerts -> artifact.
Each step is a task wrapping a plain function of flows.pipeline; see that package for the logic.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.alerts.process import AlertOutcome, process_alerts
from flows.config import Settings, load_settings
from flows.errors import LOADED, ExportwatchError, LoadedButFailed
from flows.genesis.credentials import require_credentials
from flows.orchestration.flow_failures import failing_cleanly, keep_expected_failures_short
from flows.orchestration.request_slots import ensure_request_limit, prefect_request_slot
from flows.orchestration.run_hooks import notify_failure
from flows.orchestration.run_origin import current_run_origin
from flows.orchestration.run_summary import publish_run_artifact
from flows.orchestration.tasks import prefect_step
from flows.pipeline.fetch import build_client
from flows.pipeline.load import UpdateReport
from flows.pipeline.run import run_update
from flows.shutdown import stop_on_signals
from warehouse.errors import WarehouseError
from warehouse.snapshot import publish_snapshot

keep_expected_failures_short()


@contextmanager
def after_the_load(report: UpdateReport, what: str) -> Iterator[None]:
    """A step after the load's commit: its expected failures say what was loaded and what failed."""
    try:
        yield
    except (ExportwatchError, WarehouseError, OSError, duckdb.Error) as error:
        if report.status != "loaded":
            raise
        raise LoadedButFailed(
            f"{LOADED} ({report.rows_inserted} row(s) inserted, {report.rows_closed} closed by revisions), "
            f"but {what} failed: {error}"
        ) from None


def run_flow_body(
    settings: Settings,
    *,
    countries: list[str] | None,
    since: int | None,
    until: int | None = None,
) -> UpdateReport:
    """What update_trade and backfill share: one pipeline run with tasks, then the artifact."""
    logger = get_run_logger()
    # GENESIS' limit of parallel requests holds across every run on this Prefect server.
    ensure_request_limit(settings.genesis.max_in_flight)
    client = build_client(
        settings,
        require_credentials(),
        origin=current_run_origin(),
        request_slot=prefect_request_slot(settings.genesis.max_in_flight),
    )
    try:
        # SIGTERM/SIGINT end the waits of the fetch threads too, not only the main thread.
        with stop_on_signals():
            report = run_update(
                settings,
                client,
                countries=countries,
                since=since,
                until=until,
                run_id=str(flow_run.id or "") or None,
                step=prefect_step,
            )
    finally:
        client.close()
    # The load has committed: a failure from here on must not read as if nothing was loaded.
    with after_the_load(report, "evaluating and sending alerts"):
        alerts: AlertOutcome = prefect_step(process_alerts)(settings)
    snapshot = settings.warehouse.snapshot_path
    if snapshot and (report.status == "loaded" or not snapshot.exists()):
        with after_the_load(report, f"refreshing the snapshot {snapshot}"):
            prefect_step(publish_snapshot)(
                settings.warehouse.path,
                snapshot,
                lock_timeout=settings.warehouse.lock_timeout_seconds,
                memory_limit=settings.warehouse.memory_limit,
            )
    logger.info(
        "%s: %d request(s), %d row(s) inserted, %d closed by revisions, %d new and %d revised month(s)",
        report.status,
        report.requests,
        report.rows_inserted,
        report.rows_closed,
        report.new_count,
        report.revised_count,
    )
    logger.info(
        "%d alert(s) raised, %d message(s) sent, %d alert(s) pending delivery",
        len(alerts.raised),
        alerts.messages_sent,
        alerts.pending,
    )
    publish_run_artifact(report, alerts.raised, settings)
    report.alerts = alerts
    return report


@flow(name="update-trade", on_failure=[notify_failure])
@failing_cleanly
def update_trade(
    config: str | None = None,
    db: str | None = None,
    countries: list[str] | None = None,
    since: int | None = None,
) -> dict:
    """Update the warehouse with every month GENESIS published or revised since the last run."""
    settings = load_settings(Path(config) if config else None, db=Path(db) if db else None)
    report = run_flow_body(settings, countries=countries, since=since)
    return summary(report)


def summary(report: UpdateReport) -> dict:
    return {
        "status": report.status,
        "requests": report.requests,
        "rows_inserted": report.rows_inserted,
        "rows_closed": report.rows_closed,
        "new_months": report.new_count,
        "revised_months": report.revised_count,
        "quality_changes": report.quality_count,
        "alerts_raised": len(report.alerts.raised) if report.alerts else 0,
        "alerts_pending": report.alerts.pending if report.alerts else 0,
    }
