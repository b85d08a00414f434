"""The report a run refreshes: after a run that loaded data (or while no report exists), the report
([warehouse] report_dir, else <warehouse folder>/report/) is rebuilt for the first watchlist
country (never over a page exportwatch did not write), with a small PNG of its series for the run's
Prefect artifact (flows/orchestration/run_summary.py writes that Markdown)."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows.config import Settings, resolve_countries

if TYPE_CHECKING:
    from flows.report.charts import Png

SMALL_SIZE = (720, 360)


def report_dir(settings: Settings) -> Path:
    """[warehouse] report_dir, else report/ beside the warehouse file."""
    return settings.warehouse.report_dir or settings.warehouse.path.parent / "report"


@dataclass(frozen=True)
class RefreshedReport:
    index: Path
    chart: "Png | None" = None  # the series chart, small; None when the report was left as it was
    country_name: str = ""


def refresh_report(settings: Settings, loaded: bool) -> RefreshedReport:
    """Rebuild the report if the run loaded data or there is none yet; raises what build_report raises."""
    from flows.report.build import build_report, series_chart  # Altair only when a chart is drawn

    index = report_dir(settings) / "index.html"
    if not loaded and index.exists():
        return RefreshedReport(index)
    country = resolve_countries(settings.watchlist.countries)[0]
    result = build_report(settings, index.parent, country)
    chart = series_chart(result.data, *SMALL_SIZE, scale=1, compact=True)
    return RefreshedReport(result.index, chart, result.data.short_name)
