"""Collect what the report shows from the warehouse (read-only), render the charts, write the page."""

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from flows.config import PriorityGoodsSettings, Settings, resolve_countries
from flows.errors import ExportwatchError
from flows.report import charts, page
from warehouse import queries
from warehouse.connection import WarehouseLockedError, WarehouseUnavailableError, connect
from warehouse.countries import countries
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
    priority_groups: list[dict] = field(default_factory=list)  # CHPL tier sums: sanctioned vs other countries
    priority_group_names: dict[str, str] = field(default_factory=dict)  # country_group -> label
    priority_top: list[dict] = field(default_factory=list)
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
PRIORITY_FILE = "priority_goods.png"
PRIORITY_SIZE = (960, 480)
SANCTIONED = ("RU", "BY")  # the CHPL section compares exports to these with the other countries


def priority_countries(settings: Settings) -> tuple[list[str], list[str]]:
    """ISO codes of the [priority_goods] countries (or its default ones): Russia and Belarus, the others."""
    configured = (settings.priority_goods or PriorityGoodsSettings()).countries
    known = countries()
    isos = [known[code].iso2 or code for code in resolve_countries(configured)]
    return [i for i in isos if i in SANCTIONED], [i for i in isos if i not in SANCTIONED]


def collect(settings: Settings, country: str, *, since_year: int = SINCE_YEAR, top_n: int = TOP_GOODS) -> ReportData:
    """Everything the report shows, from one read-only connection."""
    code = resolve_countries([country])[0]
    table = settings.watchlist.table
    path = settings.warehouse.location
    try:
        con = connect(
            path,
            read_only=True,
            lock_timeout=min(settings.warehouse.lock_timeout_seconds, 5),
            memory_limit=settings.warehouse.memory_limit,
        )
    except (WarehouseLockedError, WarehouseUnavailableError, FileNotFoundError) as error:
        raise ReportError(str(error)) from None
    try:
        missing = queries.missing_objects(con)
        if missing:
            raise ReportError(
                f"The warehouse {path} lacks {', '.join(missing)}: it was last written by an older exportwatch. "
                "Views are created whenever an update writes to it: run `exportwatch update` (or `exportwatch demo` for the demo warehouse) once."
            )
        series = queries.series(con, table, code, FLOW)
        if not series:
            raise ReportError(
                f"No {FLOW}s to {country} in {path} (table {table}). Pass --country with a watchlist country, "
                f"or load it: exportwatch backfill --country {country} --since {since_year}."
            )
        watch = [code] + [c for c in resolve_countries(settings.watchlist.countries) if c != code]
        route_rows = queries.route_comparison(con, table, watch, FLOW)
        present = {r["country_code"]: r["country_name"] for r in route_rows}
        route_names = {c: short_name(present[c]) for c in watch if c in present}
        goods_month = queries.goods_latest_month(con, code, FLOW)
        last_load, _ = queries.freshness(con, table)
        sanctioned, others = priority_countries(settings)
        goods_rules = {r.name for r in settings.alerts.rules if r.scope == "priority_goods"}  # not about the country total
        group_names = {
            "sanctioned": " + ".join(sanctioned),
            "others": f"{len(others)} other countr{'y' if len(others) == 1 else 'ies'}",
        }
        return ReportData(
            db_path=path,
            made_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
            table_code=table,
            country_code=code,
            country_iso2=_iso2(con, code),
            country_name=_name(con, code),
            series=series,
            alerts=[a for a in queries.alert_markers(con, code, FLOW) if a["rule"] not in goods_rules],
            revisions=queries.revision_markers(con, table, code, FLOW),
            latest_months=queries.latest_months(con, table, code, LATEST_MONTHS),
            route_rows=[r for r in route_rows if r["month"].year >= since_year],
            route_names=route_names,
            goods_tables=queries.goods_tables(con),
            goods_month=goods_month,
            top_goods=queries.top_goods_change(con, code, FLOW, goods_month, top_n) if goods_month else [],
            last_load=last_load,
            priority_groups=[r for r in queries.priority_goods_groups(con, sanctioned, others) if r["month"].year >= since_year],
            priority_group_names=group_names,
            priority_top=queries.priority_goods_top_increase(con, top_n),
            since_year=since_year,
        )
    finally:
        con.close()


def _iso2(con, code: str) -> str:
    return scalar(con, "SELECT coalesce(iso2, country_code) FROM countries WHERE country_code = ?", [code])


def _name(con, code: str) -> str:
    return scalar(con, "SELECT name_en FROM countries WHERE country_code = ?", [code])


# The page's caption under the chart (page.py) explains each of these parts in more words.
SERIES_SUBTITLE = "Line: monthly value; shaded: provisional values; bars: change on the same month a year earlier."


def series_chart(data: ReportData, width: int, height: int, scale: int = 2, *, compact: bool = False) -> charts.Png:
    rules = sorted({(a["rule"], a["threshold"]) for a in data.alerts})
    subtitle = SERIES_SUBTITLE
    if rules:
        subtitle += f" Alerts: rule {', '.join(r for r, _ in rules)}."
    title = f"German exports to {data.short_name}, million EUR"
    chart = charts.series_chart(title, "" if compact else subtitle, data.chart_series, data.alerts, data.revisions)
    return charts.render_png(chart, width, height, scale)


def route_chart(data: ReportData, width: int, height: int, scale: int = 2) -> charts.Png | None:
    if not any(r["index_2021"] for r in data.route_rows):
        return None
    title = "German exports: the route comparison, index 2021 = 100"
    subtitle = (
        "Each country's monthly exports against its own 2021 monthly average (log scale: a halving and a doubling look alike)."
    )
    return charts.render_png(charts.route_chart(title, subtitle, data.route_rows, data.route_names), width, height, scale)


def priority_chart(data: ReportData, width: int, height: int, scale: int = 2) -> charts.Png | None:
    if not any(r["index_2021"] for r in data.priority_groups):
        return None
    names = data.priority_group_names
    title = f"German exports of the CHPL goods: {names['sanctioned']} against {names['others']}, index 2021 = 100"
    subtitle = (
        f"Sums per tier of the Common High Priority List; solid: {names['sanctioned']}, dashed: {names['others']} (log scale)."
    )
    return charts.render_png(charts.priority_chart(title, subtitle, data.priority_groups, names), width, height, scale)


def build_report(settings: Settings, out_dir: Path, country: str = "RU", *, since_year: int = SINCE_YEAR) -> ReportResult:
    """Write out_dir/index.html and its PNG charts; the page references nothing but those files."""
    data = collect(settings, country, since_year=since_year)
    images: dict[str, charts.Png] = {}
    series_png = series_chart(data, *SERIES_SIZE)
    images[series_file(data.country_iso2)] = series_png
    route_png = route_chart(data, *ROUTE_SIZE)
    if route_png is not None:
        images[ROUTE_FILE] = route_png
    priority_png = priority_chart(data, *PRIORITY_SIZE)
    if priority_png is not None:
        images[PRIORITY_FILE] = priority_png
    index = out_dir / "index.html"
    refuse_foreign_files(index, [out_dir / name for name in images])
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, png in images.items():
        write_atomically(out_dir / name, png.data)
        written[name] = out_dir / name
    html = page.render(data, series_file(data.country_iso2), route_png and ROUTE_FILE, images, priority_png and PRIORITY_FILE)
    write_atomically(index, html.encode("utf-8"))
    return ReportResult(out_dir=out_dir, index=index, charts=written, data=data)


def refuse_foreign_files(index: Path, charts_: list[Path]) -> None:
    """The report overwrites only a report exportwatch wrote: an index.html carrying its generator
    mark, and the charts beside such a page. Anything else at those names is someone's file."""
    hint = "Write the report to another folder (--out; for runs, [warehouse] report_dir) or move the file away."
    if index.exists() and not written_by_exportwatch(index):
        raise ReportError(f"{index} exists and was not written by exportwatch: the report does not overwrite it. {hint}")
    for chart in charts_:
        if chart.exists() and not index.exists():
            raise ReportError(f"{chart} exists beside no exportwatch report: the report does not overwrite it. {hint}")


def written_by_exportwatch(index: Path) -> bool:
    """The generator mark, or the title that pages written before the mark existed begin with."""
    try:
        with open(index, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return page.GENERATOR.encode() in head or b"<title>exportwatch report:" in head


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside `path` under a fresh name, then rename: a reader sees the old file or the new."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        # mkstemp makes the file private (0600); a report is for reading, by a browser or a web
        # server, so it gets the mode any new file gets under the user's umask.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    umask = os.umask(0o022)  # reading it means setting it: set it straight back
    os.umask(umask)
    return umask
