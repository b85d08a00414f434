"""Charts as PNG with Altair, rendered offline by vl-convert (no browser, no network), once each, at
an exact pixel size so the HTML can reserve their space and tests can check them."""

import math
import struct
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import altair as alt

from flows.money import in_millions

FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
SERIES_COLOR = "#1f4e79"
DOWN_COLOR, UP_COLOR = "#c0392b", "#7b8794"
MARKERS = {  # legend label -> (color, shape)
    "alert": (DOWN_COLOR, "circle"),
    "revised": ("#e67e22", "triangle-up"),
}
PROVISIONAL_FILL = "#e9eef5"
SIGNED = "datum.value > 0 ? '+' + format(datum.value, ',.0f') : format(datum.value, ',.0f')"
LOG_TICKS = [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000]
ROUTE_COLORS = ["#c0392b", "#1f4e79", "#2e8b57", "#d68910", "#7d3c98", "#17a589", "#a04000", "#5d6d7e"]


@dataclass(frozen=True)
class Png:
    data: bytes
    width: int  # CSS pixels; the image holds width * scale pixels
    height: int
    scale: int


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def render_png(chart: alt.TopLevelMixin, width: int, height: int, scale: int = 2) -> Png:
    """Render the chart once, as an image of width x height CSS pixels with axes, titles and legend
    inside: autosize "fit" (padding included) has Vega size the plot area to what is left. Vega-Lite
    fits single and layered views only, not concatenations: every chart here is one layered view.
    The size is read back from the PNG, so the page reserves what the image really has."""
    import vl_convert

    fitted = chart.properties(width=width, height=height, autosize=alt.AutoSizeParams(type="fit", contains="padding"))
    data = vl_convert.vegalite_to_png(fitted.to_dict(), scale=scale)
    got_w, got_h = png_size(data)
    return Png(data, math.ceil(got_w / scale), math.ceil(got_h / scale), scale)


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=MUTED,
            titleColor=MUTED,
            gridColor=GRID,
            domainColor="#9aa5b1",
            tickColor="#9aa5b1",
            labelFontSize=11,
            titleFontSize=11,
        )
        .configure_title(color=INK, fontSize=15, subtitleColor=MUTED, subtitleFontSize=11, anchor="start")
        .configure_legend(labelColor=INK, titleColor=MUTED, labelFontSize=11, orient="top", direction="horizontal", title=None)
    )


def millions(value: Decimal | None) -> float | None:
    """A value for the plot: Vega-Lite takes JSON numbers."""
    return None if value is None else float(in_millions(value))


def _iso(d: date) -> str:
    return d.isoformat()


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


TITLE_LIMIT = {"expr": "width"}  # titles are cut to the chart's width, so they cannot widen it
UPPER_SHARE = 0.62  # of the plot height: the monthly values above, the change on a year earlier below
PANE_GAP = 24  # pixels between the two panes of the series chart


def series_chart(title: str, subtitle: str, series: list[dict], alerts: list[dict], revisions: list[dict]) -> alt.LayerChart:
    """Monthly values (line) on a shaded band where values are provisional, red circles on months
    with an active alert, orange triangles along the bottom on revised months; below, the change on
    a year earlier as bars, with the alert threshold(s) as dashed lines. The two panes are two
    layers with their own y scale, each drawn into its part of the height (so the whole is one
    layered view that render_png can fit to a size)."""
    values = {row["month"]: row["value_eur"] for row in series}
    line = [{"month": _iso(r["month"]), "value_m": millions(r["value_eur"])} for r in series]
    bars = [{"month": _iso(r["month"]), "yoy_pct": r["yoy_pct"]} for r in series if r["yoy_pct"] is not None]
    provisional = [{"month": _iso(r["month"]), "end": _iso(_next_month(r["month"]))} for r in series if r["quality"] == "p"]
    markers = [
        {"month": _iso(a["month"]), "value_m": millions(values[a["month"]]), "marker": "alert"}
        for a in alerts
        if a["month"] in values
    ]
    markers += [{"month": _iso(r["month"]), "value_m": 0.0, "marker": "revised"} for r in revisions if r["month"] in values]
    thresholds = sorted({a["threshold"] for a in alerts if a["metric"] == "yoy_pct"})
    shown = [m for m in MARKERS if any(x["marker"] == m for x in markers)]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False))
    upper_bottom = {"expr": f"height * {UPPER_SHARE}"}

    upper_layers = []
    if provisional:
        band = alt.Chart(alt.Data(values=provisional)).mark_rect(color=PROVISIONAL_FILL)
        upper_layers.append(band.encode(x="month:T", x2="end:T", y=alt.value(0), y2=alt.value(upper_bottom)))
    upper_layers.append(
        alt.Chart(alt.Data(values=line))
        .mark_line(color=SERIES_COLOR, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                "value_m:Q",
                title="million EUR",
                scale=alt.Scale(zero=True, range=[upper_bottom, 0]),
                axis=alt.Axis(format=",.0f"),
            ),
        )
    )
    if markers:
        legend = alt.Legend(title=None, orient="top", direction="horizontal", symbolStrokeWidth=0)
        encoding = dict(
            x="month:T",
            y="value_m:Q",
            color=alt.Color("marker:N", scale=alt.Scale(domain=shown, range=[MARKERS[m][0] for m in shown]), legend=legend),
            shape=alt.Shape("marker:N", scale=alt.Scale(domain=shown, range=[MARKERS[m][1] for m in shown]), legend=legend),
        )
        for kind, offset in (("alert", 0), ("revised", -7)):  # revision triangles sit just above the time axis
            points = [m for m in markers if m["marker"] == kind]
            if points:
                mark = alt.Chart(alt.Data(values=points)).mark_point(
                    filled=True, opacity=1, size=100, stroke="white", strokeWidth=0.8, yOffset=offset
                )
                upper_layers.append(mark.encode(**encoding))
    yoy = (
        alt.Chart(alt.Data(values=bars))
        .mark_bar(width={"band": 0.8})
        .encode(
            x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False)),
            y=alt.Y(
                "yoy_pct:Q",
                title="% on a year earlier",
                scale=alt.Scale(range=[{"expr": "height"}, {"expr": f"height * {UPPER_SHARE} + {PANE_GAP}"}]),
                axis=alt.Axis(labelExpr=SIGNED, orient="left"),
            ),
            color=alt.condition("datum.yoy_pct < 0", alt.value(DOWN_COLOR), alt.value(UP_COLOR)),
        )
    )
    lower_layers = [yoy, alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="#9aa5b1").encode(y="y:Q")]
    for threshold in thresholds:
        rule = alt.Chart(alt.Data(values=[{"y": threshold, "label": f"alert threshold {threshold:+.0f} %"}]))
        lower_layers.append(rule.mark_rule(color=DOWN_COLOR, strokeDash=[4, 3]).encode(y="y:Q"))
        lower_layers.append(
            rule.mark_text(align="left", dx=4, dy=-6, color=DOWN_COLOR, fontSize=10).encode(
                y="y:Q", text="label:N", x=alt.value(0)
            )
        )
    chart = (
        alt.layer(alt.layer(*upper_layers), alt.layer(*lower_layers))
        .resolve_scale(y="independent")
        .resolve_axis(y="independent")
        .properties(title=alt.TitleParams(title, subtitle=subtitle, limit=TITLE_LIMIT))
    )
    return _config(chart)


def index_axes(indices: list[float]) -> tuple[alt.X, alt.Y, alt.Chart]:
    """The time axis, the log-scale index axis (2021 monthly average = 100, always in view) and the
    dashed reference line at 100 that the route and the priority-goods charts share."""
    low = min(indices + [100]) / 1.15
    high = max(indices + [100]) * 1.15
    ticks = [t for t in LOG_TICKS if low <= t <= high]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False))
    y = alt.Y(
        "index:Q",
        title="index, 2021 monthly average = 100 (log scale)",
        scale=alt.Scale(type="log", domain=[low, high], nice=False),
        axis=alt.Axis(values=ticks, format=",.0f"),
    )
    reference = alt.Chart(alt.Data(values=[{"y": 100}])).mark_rule(color="#9aa5b1", strokeDash=[4, 3]).encode(y="y:Q")
    return x, y, reference


def route_chart(title: str, subtitle: str, rows: list[dict], names: dict[str, str]) -> alt.LayerChart:
    """Index lines (2021 monthly average = 100) per country on a log scale, 100 as a reference."""
    order = list(names.values())
    data = [
        {"month": _iso(r["month"]), "index": r["index_2021"], "country": names[r["country_code"]]}
        for r in rows
        if r["index_2021"] is not None and r["index_2021"] > 0 and r["country_code"] in names
    ]
    latest = {}
    for point in data:
        latest[point["country"]] = point
    ends = [dict(p, label=f"{p['country']} {p['index']:,.0f}") for p in latest.values()]

    x, y, base = index_axes([p["index"] for p in data])
    color = alt.Color("country:N", scale=alt.Scale(domain=order, range=ROUTE_COLORS[: len(order)]), legend=None)
    lines = alt.Chart(alt.Data(values=data)).mark_line(strokeWidth=2).encode(x=x, y=y, color=color)
    labels = (
        alt.Chart(alt.Data(values=ends))
        .mark_text(align="left", dx=5, fontSize=11, fontWeight="bold")
        .encode(x="month:T", y="index:Q", text="label:N", color=color)
    )
    chart = alt.layer(base, lines, labels).properties(title=alt.TitleParams(title, subtitle=subtitle, limit=TITLE_LIMIT))
    return _config(chart)


TIER_COLORS = ["#1f2933", "#c0392b", "#d68910", "#1f4e79", "#2e8b57", "#7d3c98", "#17a589"]


def priority_chart(title: str, subtitle: str, rows: list[dict], groups: dict[str, str]) -> alt.LayerChart:
    """CHPL tier sums indexed on 2021 (= 100), log scale: one colour per tier, solid for one group of
    countries and dashed for the other (`groups`: country_group -> label, solid first)."""
    tiers = sorted({r["tier"] for r in rows}, key=lambda t: (t != "all", t))
    data = [
        {
            "month": _iso(r["month"]),
            "index": r["index_2021"],
            "tier": f"tier {r['tier']}" if r["tier"] != "all" else "all goods",
            "group": groups[r["country_group"]],
        }
        for r in rows
        if r["index_2021"] is not None and r["index_2021"] > 0 and r["country_group"] in groups
    ]
    tier_names = [f"tier {t}" if t != "all" else "all goods" for t in tiers]
    x, y, base = index_axes([p["index"] for p in data])
    color = alt.Color("tier:N", scale=alt.Scale(domain=tier_names, range=TIER_COLORS[: len(tier_names)]))
    dash = alt.StrokeDash("group:N", scale=alt.Scale(domain=list(groups.values()), range=[[1, 0], [5, 3]]))
    lines = (
        alt.Chart(alt.Data(values=data))
        .mark_line(strokeWidth=1.8)
        .encode(x=x, y=y, color=color, strokeDash=dash, detail="group:N")
    )
    chart = alt.layer(base, lines).properties(title=alt.TitleParams(title, subtitle=subtitle, limit=TITLE_LIMIT))
    return _config(chart)
