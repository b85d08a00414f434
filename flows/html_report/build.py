"""Collect what the report shows from the warehouse (read-only), render the charts, write the page."""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from flows.config import Settings, resolve_countries
from flows.errors import ExportwatchError
from flows.html_report import charts, page
from warehouse import analysis
from warehouse.connection import WarehouseLockedError, WarehouseUnavailableError, connect
from warehouse.location import WarehouseLocation
from warehouse.results import scalar

FLOW = "export"
SINCE_YEAR = 2019  # charts start here: three years before the 2022 sanctions
TOP_GOODS = 10
LATEST_MONTHS = 12
SERIES_SIZE = (960, 560)  # CSS pixels; PNGs are rendered at twice that
ROUTE_SIZE = (960, 440)


class ReportError(ExportwatchError):
    """The report cannot be made from this warehouse."""


@dataclass
class ReportData:
    db_path: WarehouseLocation
    made_at: datetime
    table_code: str
    country_code: str
    country_iso2: str
    country_name: str
    series: list[dict]
    alerts: list[dict]
    revisions: list[dict]
    latest_months: list[dict]
    route_rows: list[dict]
    route_names: dict[str, str]  # country_code -> short name, in chart order
    goods_tables: list[dict]
    goods_month: date | None
    top_goods: list[dict]
    last_load: datetime | None
    flow: str = FLOW
    since_year: int = SINCE_YEAR

    @property
    def short_name(self) -> str:
        return short_name(self.country_name)

    @property
    def chart_series(self) -> list[dict]:
        return [r for r in self.series if r["month"].year >= self.since_year]

    @property
    def route_latest(self) -> list[dict]:
        """The latest month of every compared country, in chart order."""
        latest: dict[str, dict] = {}
        for row in self.route_rows:
            latest[row["country_code"]] = row  # rows come oldest month first
        return [latest[code] for code in self.route_names if code in latest]


@dataclass
class ReportResult:
    out_dir: Path
    index: Path
    charts: dict[str, Path] = field(default_factory=dict)
    data: ReportData | None = None


def short_name(name: str | None) -> str:
    """'Russian Federation (since 05/1992)' -> 'Russian Federation'."""
    return re.sub(r"\s*\((since|until) [^)]*\)$", "", name or "")


def series_file(iso2: str) -> str:
    return f"exports_{iso2.lower()}.png"


ROUTE_FILE = "route_comparison.png"


def collect(settings: Settings, country: str, *, since_year: int = SINCE_YEAR, top_n: int = TOP_GOODS) -> ReportData:
    """Everything the report shows, from one read-only connection."""
    code = resolve_countries([country])[0]
    table = settings.watchlist.table
    path = settings.warehouse.location
    try:
        con = connect(path, read_only=True, lock_timeout=min(settings.warehouse.lock_timeout_seconds, 5), memory_limit=settings.warehouse.memory_limit)
    except (WarehouseLockedError, WarehouseUnavailableError, FileNotFoundError) as error:
        raise ReportError(str(error)) from None
    try:
        missing = analysis.missing_objects(con)
        if missing:
            raise ReportError(
                f"The warehouse {path} lacks {', '.join(missing)}: it was last written by an older exportwatch. "
                "Views are created whenever an update writes to it: run `exportwatch update` (or `exportwatch demo` for the demo warehouse) once."
            )
        series = analysis.series(con, table, code, FLOW)
        if not series:
            raise ReportError(
                f"No {FLOW}s to {country} in {path} (table {table}). Pass --country with a watchlist country, "
                f"or load it: exportwatch backfill --country {country} --since {since_year}."
            )
        watch = [code] + [c for c in resolve_countries(settings.watchlist.countries) if c != code]
        route_rows = analysis.route_comparison(con, table, watch, FLOW)
        present = {r["country_code"]: r["country_name"] for r in route_rows}
        route_names = {c: short_name(present[c]) for c in watch if c in present}
        goods_month = analysis.goods_latest_month(con, code, FLOW)
        last_load, _ = analysis.freshness(con, table)
        return ReportData(
            db_path=path,
            made_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
            table_code=table,
            country_code=code,
            country_iso2=_iso2(con, code),
            country_name=_name(con, code),
            series=series,
            alerts=analysis.alert_markers(con, code, FLOW),
            revisions=analysis.revision_markers(con, table, code, FLOW),
            latest_months=analysis.latest_months(con, table, code, LATEST_MONTHS),
            route_rows=[r for r in route_rows if r["month"].year >= since_year],
            route_names=route_names,
            goods_tables=analysis.goods_tables(con),
            goods_month=goods_month,
            top_goods=analysis.top_goods_change(con, code, FLOW, goods_month, top_n) if goods_month else [],
            last_load=last_load,
            since_year=since_year,
        )
    finally:
        con.close()


def _iso2(con, code: str) -> str:
    return scalar(con, "SELECT coalesce(iso2, country_code) FROM countries WHERE country_code = ?", [code])


def _name(con, code: str) -> str:
    return scalar(con, "SELECT name_en FROM countries WHERE country_code = ?", [code])


def series_chart(data: ReportData, width: int, height: int, scale: int = 2, *, compact: bool = False) -> charts.Png:
    rules = sorted({(a["rule"], a["threshold"]) for a in data.alerts})
    subtitle = "Line: monthly value; shaded: provisional values; bars: change on the same month a year earlier."
    if rules:
        subtitle += f" Alerts: rule {', '.join(r for r, _ in rules)}."
    title = f"German exports to {data.short_name}, million EUR"
    make = charts.series_chart(title, "" if compact else subtitle, data.chart_series, data.alerts, data.revisions)
    return charts.render_png(make, width, height, scale)


def route_chart(data: ReportData, width: int, height: int, scale: int = 2) -> charts.Png | None:
    if not any(r["index_2021"] for r in data.route_rows):
        return None
    title = "German exports: the route comparison, index 2021 = 100"
    subtitle = "Each country's monthly exports against its own 2021 monthly average (log scale: a halving and a doubling look alike)."
    return charts.render_png(charts.route_chart(title, subtitle, data.route_rows, data.route_names), width, height, scale)


def build_report(settings: Settings, out_dir: Path, country: str = "RU", *, since_year: int = SINCE_YEAR) -> ReportResult:
    """Write out_dir/index.html and its PNG charts; the page references nothing but those files."""
    data = collect(settings, country, since_year=since_year)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    images: dict[str, charts.Png] = {}
    series_png = series_chart(data, *SERIES_SIZE)
    images[series_file(data.country_iso2)] = series_png
    route_png = route_chart(data, *ROUTE_SIZE)
    if route_png is not None:
        images[ROUTE_FILE] = route_png
    for name, png in images.items():
        (out_dir / name).write_bytes(png.data)
        written[name] = out_dir / name
    index = out_dir / "index.html"
    tmp = index.with_suffix(".html.part")
    tmp.write_text(page.render(data, series_file(data.country_iso2), route_png and ROUTE_FILE, images), encoding="utf-8")
    tmp.replace(index)
    return ReportResult(out_dir=out_dir, index=index, charts=written, data=data)
