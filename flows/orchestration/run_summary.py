"""What a run changed, as Markdown for the Prefect artifact and as lines for the terminal."""

from decimal import Decimal

from flows.pipeline.load import UpdateReport

MEASURE_NAMES = {
    "WERTA": "exports",
    "WERTE": "imports",
    "WERTAS": "exports (USD)",
    "WERTES": "imports (USD)",
    "GEWA": "exports (t)",
    "GEWE": "imports (t)",
}
_MAX_ROWS = 50


def eur(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{Decimal(value):,.0f}"


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
            lines.append(_row(change, eur(change["new_value"])))
        if report.new_count > len(report.new):
            lines.append(f"\n… and {report.new_count - len(report.new)} earlier values (a backfill).")
    if report.revised:
        lines += ["", "## Revised months", "", "| country | series | month | old → new |", "|---|---|---|---:|"]
        for change in report.revised[:_MAX_ROWS]:
            lines.append(_row(change, f"{eur(change['old_value'])} → {eur(change['new_value'])}"))
        if report.revised_count > len(report.revised):
            lines.append(f"\n… and {report.revised_count - len(report.revised)} more revised values.")
    lines += ["", "## Alerts", ""]
    lines += [f"- {a}" for a in alerts] if alerts else ["none"]
    return "\n".join(lines) + "\n"


def _row(change: dict, value: str) -> str:
    country = change.get("country_iso2") or change["country_code"]
    return f"| {country} | {MEASURE_NAMES.get(change['measure'], change['measure'])} | {change['month']:%Y-%m} | {value} |"
