"""The run's Prefect artifact, built here only: what the run changed, the alerts it raised and the
latest chart of the report it refreshed (flows/report/refresh.py), embedded as a PNG data URI (the
Prefect UI shows it; nothing is fetched from anywhere)."""

import base64
import logging

from prefect.artifacts import create_markdown_artifact

from flows.config import Settings
from flows.money import format_millions
from flows.pipeline.load import UpdateReport
from flows.report.refresh import refresh_report
from schemas.measures import MEASURES

log = logging.getLogger(__name__)
ARTIFACT_KEY = "exportwatch-update"

MEASURE_NAMES = {
    "WERTA": "exports",
    "WERTE": "imports",
    "WERTAS": "exports (USD)",
    "WERTES": "imports (USD)",
    "GEWA": "exports (t)",
    "GEWE": "imports (t)",
}
_MAX_ROWS = 50


def amount(change: dict, column: str) -> str:
    """A value in its measure's unit, to the thousand (three decimals of a million): GENESIS publishes
    thousands, so a revision of a thousand EUR still shows."""
    measure = MEASURES.get(change["measure"])
    return format_millions(change[column], measure.base_unit if measure else None, decimals=3)


def render_markdown(report: UpdateReport, alerts: list[str] | None = None) -> str:
    lines = [
        f"# exportwatch update: {report.status}",
        "",
        "| requests | rows inserted | rows closed by revisions | new months | revised months |",
        "|---:|---:|---:|---:|---:|",
        f"| {report.requests} | {report.rows_inserted} | {report.rows_closed} | {report.new_count} | {report.revised_count} |",
    ]
    if report.new:
        lines += ["", "## New months", "", "| country | series | month | value |", "|---|---|---|---:|"]
        for change in report.new[-_MAX_ROWS:]:
            lines.append(_row(change, amount(change, "new_value")))
        if report.new_count > len(report.new):
            lines.append(f"\n… and {report.new_count - len(report.new)} earlier values (a backfill).")
    if report.revised:
        lines += ["", "## Revised months", "", "| country | series | month | old → new |", "|---|---|---|---:|"]
        for change in report.revised[:_MAX_ROWS]:
            lines.append(_row(change, f"{amount(change, 'old_value')} → {amount(change, 'new_value')}"))
        if report.revised_count > len(report.revised):
            lines.append(f"\n… and {report.revised_count - len(report.revised)} more revised values.")
    lines += ["", "## Alerts", ""]
    lines += [f"- {a}" for a in alerts] if alerts else ["none"]
    return "\n".join(lines) + "\n"


def _row(change: dict, value: str) -> str:
    country = change.get("country_iso2") or change["country_code"]
    return f"| {country} | {MEASURE_NAMES.get(change['measure'], change['measure'])} | {change['month']:%Y-%m} | {value} |"


def latest_chart_markdown(settings: Settings, loaded: bool) -> str:
    """The artifact's chart section; never raises (a chart must not fail a run)."""
    try:
        refreshed = refresh_report(settings, loaded)
    except Exception as error:  # noqa: BLE001 - reported in the artifact and the log instead
        log.warning("report and latest chart not written: %s", error)
        return f"\n## Latest chart\n\nnot rendered: {error}\n"
    if refreshed.chart is None:
        return f"\n## Latest chart\n\nNo new data; the report is unchanged: `{refreshed.index.resolve()}`\n"
    encoded = base64.b64encode(refreshed.chart.data).decode("ascii")
    return (
        f"\n## Latest chart\n\n![German exports to {refreshed.country_name}](data:image/png;base64,{encoded})\n\n"
        f"Full report: `{refreshed.index.resolve()}` (or `exportwatch report --out DIR`)\n"
    )


def publish_run_artifact(report: UpdateReport, alerts: list[str], settings: Settings) -> None:
    """The Markdown artifact of an update run, under one key so the Prefect UI lists the runs' versions."""
    markdown = render_markdown(report, alerts) + latest_chart_markdown(settings, loaded=report.status == "loaded")
    create_markdown_artifact(markdown, key=ARTIFACT_KEY, description="What this run changed")
