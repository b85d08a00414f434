"""The report page: static HTML, inline CSS, images by relative path, no script and no address
outside its folder, so it opens offline and can be mailed or archived as a folder.

page.html.j2 is the markup, rendered by Jinja2 with autoescape on: every text from GENESIS, the
warehouse or the configuration (country names, goods labels, rule names) is escaped by the template
engine, none by hand. This module formats the numbers and works out what the sections show.
Numbers are shown rounded (EUR in millions with one decimal, percentages with one decimal); every
number cell carries the exact warehouse value in data-value, and data-col names its column."""

from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from flows.money import format_millions

if TYPE_CHECKING:
    from flows.report.build import ReportData
    from flows.report.charts import Png

QUALITY = {"p": "provisional", "e": "final", "r": "revised", "": "no flag"}
# Marks a page as exportwatch's (page.html.j2 writes it): flows.report.build overwrites no index.html without it.
GENERATOR = '<meta name="generator" content="exportwatch">'
MONTHS = "January February March April May June July August September October November December".split()


# -- formatting: one function per kind of number (money: flows.money), used by the template -----


def fmt_pct(value: float | None) -> str:
    """A change in percent with sign and one decimal: -59.957 -> '-60.0'."""
    if value is None:
        return "–"
    return "0.0" if round(value, 1) == 0 else f"{value:+,.1f}"


def fmt_index(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def fmt_month(value: date | None) -> str:
    return "–" if value is None else f"{value:%Y-%m}"


def fmt_time(value: datetime | None) -> str:
    return "–" if value is None else f"{value:%Y-%m-%d %H:%M}"


def long_month(value: date) -> str:
    return f"{MONTHS[value.month - 1]} {value.year}"


def exact(value) -> str:
    """The data-value of a cell: the warehouse value as text, exactly."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def is_negative(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and value < 0


# -- what the sections show --------------------------------------------------------------------

ROWS_SHOWN = 12  # of the alerts and of the revisions; the page says how many more there are


class Shown(NamedTuple):
    shown: list[dict]
    more: int


def headline_index(data: "ReportData") -> float | None:
    """The index (2021 = 100) of the reported country in its latest month, if the route has it."""
    last = data.series[-1]["month"]
    rows = reversed(data.route_rows)
    return next((r["index_2021"] for r in rows if r["country_code"] == data.country_code and r["month"] == last), None)


def goods_missing(data: "ReportData") -> str:
    """Why the goods section has no table."""
    if not data.goods_tables:
        return "No goods table is loaded in this warehouse."
    loaded = ", ".join(
        f"{t['table_code']} ({t['goods_variable']}, {t['countries']} countr{'y' if t['countries'] == 1 else 'ies'})"
        for t in data.goods_tables
    )
    return f"The goods tables loaded ({loaded}) hold no {data.flow}s to {data.short_name}."


def without_base(data: "ReportData") -> list[str]:
    """The compared countries without a complete 2021 (so without an index)."""
    indexed = {r["country_code"] for r in data.route_rows if r["index_2021"]}
    return [name for code, name in data.route_names.items() if code not in indexed]


TEMPLATE = "page.html.j2"
FILTERS = {  # the template's names for the formats above
    "money": partial(format_millions, unit=None),
    "pct": fmt_pct,
    "index": fmt_index,
    "month": fmt_month,
    "time": fmt_time,
    "long_month": long_month,
    "exact": exact,
}


@cache
def environment() -> Environment:
    # autoescape=True rather than select_autoescape(), which goes by the file name's ending (.j2 here)
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.tests["negative"] = is_negative
    return env


def render(
    data: "ReportData", series_src: str, route_src: str | None, images: dict[str, "Png"], priority_src: str | None = None
) -> str:
    revisions = sorted(data.revisions, key=lambda r: r["last_revised_at"], reverse=True)
    template = environment().get_template(TEMPLATE)
    return template.render(
        data=data,
        images=images,
        series_src=series_src,
        route_src=route_src,
        priority_src=priority_src,
        quality=QUALITY,
        headline_index=headline_index(data),
        alerts=Shown(list(reversed(data.alerts))[:ROWS_SHOWN], max(len(data.alerts) - ROWS_SHOWN, 0)),
        revisions=Shown(revisions[:ROWS_SHOWN], max(len(revisions) - ROWS_SHOWN, 0)),
        without_base=without_base(data),
        goods_missing=goods_missing(data),
    )
