"""The scheduled flow: fetch what GENESIS published since the last run, load it, raise alerts.

plan requests -> fetch (retried) -> parse and validate -> load -> evaluate alerts -> artifact.
Each step is a task wrapping a plain function of flows.pipeline; see that module for the logic.
"""

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from flows.alerts.process import AlertOutcome, process_alerts
from flows.config import Settings, load_settings
from flows.flow_failures import failing_cleanly, keep_expected_failures_short
from flows.genesis.credentials import require_credentials
from flows.html_report.artifact import latest_chart_markdown
from flows.pipeline import UpdateReport, build_client, run_update
from flows.request_slots import ensure_request_limit, prefect_request_slot
from flows.run_summary import render_markdown
from flows.run_hooks import notify_failure
from flows.tasks import prefect_step
from warehouse.snapshot import publish_snapshot

keep_expected_failures_short()


def run_flow_body(
    settings: Settings,
    *,
    countries: list[str] | None,
    since: int | None,
    until: int | None = None,
) -> UpdateReport:
    """What update_trade and backfill share: one pipeline run with tasks, then the artifact."""
    logger = get_run_logger()
    step = prefect_step(settings.genesis.fetch_task_retries, settings.genesis.fetch_task_retry_delay_seconds)
    # GENESIS' limit of parallel requests holds across every run on this Prefect server.
    ensure_request_limit(settings.genesis.max_in_flight)
    client = build_client(settings, require_credentials(), request_slot=prefect_request_slot(settings.genesis.max_in_flight))
    try:
        report = run_update(
            settings, client, countries=countries, since=since, until=until, run_id=str(flow_run.id or "") or None, step=step
        )
    finally:
        client.close()
    alerts: AlertOutcome = step(process_alerts)(settings)
    snapshot = settings.warehouse.snapshot_path
    if snapshot and (report.status == "loaded" or not snapshot.exists()):
        step(publish_snapshot)(settings.warehouse.path, snapshot)
    logger.info(
        "%s: %d request(s), %d row(s) inserted, %d closed by revisions, %d new and %d revised month(s)",
        report.status, report.requests, report.rows_inserted, report.rows_closed, report.new_count, report.revised_count,
    )
    logger.info("%d alert(s) raised, %d message(s) sent, %d alert(s) pending delivery", len(alerts.raised), alerts.messages_sent, alerts.pending)
    markdown = render_markdown(report, alerts.raised) + latest_chart_markdown(settings, loaded=report.status == "loaded")
    create_markdown_artifact(markdown, key="exportwatch-update", description="What this run changed")
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
        "alerts_raised": len(report.alerts.raised) if report.alerts else 0,
        "alerts_pending": report.alerts.pending if report.alerts else 0,
    }
