"""The chart in a run's Prefect artifact: after a run that loaded data (or while no report exists),
the report ([warehouse] report_dir, else <warehouse folder>/report/) is rebuilt for the first
watchlist country (never over a page exportwatch did not write), and a small PNG of its series is embedded in the Markdown as a data URI (the Prefect UI
shows it; nothing is fetched from anywhere)."""

import base64
import logging
from pathlib import Path

from flows.config import Settings, resolve_countries

log = logging.getLogger(__name__)
SMALL_SIZE = (720, 360)


def report_dir(settings: Settings) -> Path:
    """[warehouse] report_dir, else report/ beside the warehouse file."""
    return settings.warehouse.report_dir or settings.warehouse.path.parent / "report"


def latest_chart_markdown(settings: Settings, loaded: bool) -> str:
    """A Markdown section for the run's artifact; never raises (a chart must not fail a run)."""
    from flows.report.build import build_report, series_chart

    out = report_dir(settings)
    index = out / "index.html"
    try:
        if not loaded and index.exists():
            return f"\n## Latest chart\n\nNo new data; the report is unchanged: `{index.resolve()}`\n"
        country = resolve_countries(settings.watchlist.countries)[0]
        result = build_report(settings, out, country)
        png = series_chart(result.data, *SMALL_SIZE, scale=1, compact=True)
    except Exception as error:  # noqa: BLE001 - reported in the artifact and the log instead
        log.warning("report and latest chart not written: %s", error)
        return f"\n## Latest chart\n\nnot rendered: {error}\n"
    name = result.data.short_name
    encoded = base64.b64encode(png.data).decode("ascii")
    return (
        f"\n## Latest chart\n\n![German exports to {name}](data:image/png;base64,{encoded})\n\n"
        f"Full report: `{result.index.resolve()}` (or `exportwatch report --out DIR`)\n"
    )
