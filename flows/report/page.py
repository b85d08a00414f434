"""The report page: static HTML, inline CSS, images by relative path, no script and no address
outside its folder, so it opens offline and can be mailed or archived as a folder.

Numbers are shown rounded (EUR in millions with one decimal, percentages with one decimal); every
number cell carries the exact warehouse value in data-value, and data-col names its column."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.report.build import ReportData
    from flows.report.charts import Png

QUALITY = {"p": "provisional", "e": "final", "r": "revised", "": "no flag"}
# Marks a page as exportwatch's: flows.report.build overwrites no index.html without it.
GENERATOR = '<meta name="generator" content="exportwatch">'
MONTHS = "January February March April May June July August September October November December".split()


# -- formatting: one function per kind of number, used by the page and by the tests ------------


def fmt_meur(value: Decimal | None) -> str:
    """EUR as million EUR with one decimal: 997260525.000 -> '997.3'."""
    if value is None:
        return "–"
    rounded = (Decimal(value) / Decimal(10**6)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{abs(rounded) if rounded == 0 else rounded:,}"


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


# -- building blocks ---------------------------------------------------------------------------


def num(col: str, value, text: str) -> str:
    sign = " neg" if isinstance(value, (int, float, Decimal)) and value < 0 else ""
    return f'<td class="num{sign}" data-col="{col}" data-value="{escape(exact(value))}">{escape(text)}</td>'


def txt(col: str, value, text: str | None = None) -> str:
    shown = text if text is not None else ("–" if value is None else str(value))
    return f'<td data-col="{col}" data-value="{escape(exact(value))}">{escape(shown)}</td>'


def table(table_id: str, headers: list[str], rows: list[str], caption: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table id="{table_id}">{cap}<thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(rows) + "\n</tbody></table>"


def img(src: str, png: "Png", alt: str) -> str:
    return f'<img src="{escape(src)}" width="{png.width}" height="{png.height}" alt="{escape(alt)}">'


def code_block(text: str) -> str:
    return f"<pre><code>{escape(text)}</code></pre>"


# -- sections ----------------------------------------------------------------------------------


def headline(data: "ReportData") -> str:
    last = data.series[-1]
    index = next(
        (
            r["index_2021"]
            for r in reversed(data.route_rows)
            if r["country_code"] == data.country_code and r["month"] == last["month"]
        ),
        None,
    )
    quality = QUALITY.get(last["quality"] or "", last["quality"])
    parts = [
        f'<p class="lead" id="headline" data-month="{last["month"].isoformat()}">',
        f"<strong>{escape(long_month(last['month']))}</strong>: German exports to {escape(data.short_name)} ",
        f'<span data-col="value_eur" data-value="{exact(last["value_eur"])}">{fmt_meur(last["value_eur"])} m EUR</span>',
    ]
    if last["yoy_pct"] is not None:
        parts.append(
            f', <span data-col="yoy_pct" data-value="{exact(last["yoy_pct"])}">{fmt_pct(last["yoy_pct"])} %</span> on {escape(long_month(last["month"].replace(year=last["month"].year - 1)))}'
        )
    if index is not None:
        parts.append(
            f', index <span data-col="index_2021" data-value="{exact(index)}">{fmt_index(index)}</span> (2021 monthly average = 100)'
        )
    parts.append(f" — {escape(quality)}.</p>")
    return "".join(parts)


def latest_months_table(data: "ReportData") -> str:
    rows = []
    for r in data.latest_months:
        rows.append(
            f'<tr data-month="{r["month"].isoformat()}" data-flow="{r["flow"]}">'
            + txt("month", r["month"], fmt_month(r["month"]))
            + txt("flow", r["flow"])
            + num("value_eur", r["value_eur"], fmt_meur(r["value_eur"]))
            + num("yoy_pct", r["yoy_pct"], fmt_pct(r["yoy_pct"]))
            + num("mom_pct", r["mom_pct"], fmt_pct(r["mom_pct"]))
            + txt("quality", r["quality"], f"{r['quality']} ({QUALITY.get(r['quality'], '?')})" if r["quality"] else "–")
            + num("revisions", r["revisions"], str(r["revisions"]))
            + txt("first_published_at", r["first_published_at"], fmt_time(r["first_published_at"]))
            + txt("last_revised_at", r["last_revised_at"], fmt_time(r["last_revised_at"]))
            + "</tr>"
        )
    headers = [
        "Month",
        "Flow",
        "Value, m EUR",
        "YoY %",
        "MoM %",
        "Quality",
        "Revisions",
        "First loaded (UTC)",
        "Last revised (UTC)",
    ]
    return table("latest-months", headers, rows)


def route_table(data: "ReportData") -> str:
    rows = []
    for r in data.route_latest:
        rows.append(
            f'<tr data-country="{r["country_iso2"] or r["country_code"]}" data-month="{r["month"].isoformat()}">'
            + txt(
                "country",
                r["country_iso2"] or r["country_code"],
                f"{data.route_names[r['country_code']]} ({r['country_iso2'] or r['country_code']})",
            )
            + txt("month", r["month"], fmt_month(r["month"]))
            + num("value_eur", r["value_eur"], fmt_meur(r["value_eur"]))
            + num("yoy_pct", r["yoy_pct"], fmt_pct(r["yoy_pct"]))
            + num("index_2021", r["index_2021"], fmt_index(r["index_2021"]))
            + "</tr>"
        )
    return table("route-comparison", ["Country", "Latest month", "Exports, m EUR", "YoY %", "Index (2021 = 100)"], rows)


GOODS_CONFIG = """[[tables]]
table = "51000-0012"            # Monate, Ware (4-/6-Steller), Länder
goods_variable = "WAM4"         # 4-digit goods
goods = ["*"]                   # all goods, or a list such as ["WA8703", "WA8708"]
countries = ["RU", "BY", "KG", "KZ", "AM", "GE", "UZ", "TR"]
since = 2021"""


def goods_section(data: "ReportData") -> str:
    if not data.top_goods:
        if not data.goods_tables:
            why = "No goods table is loaded in this warehouse."
        else:
            loaded = ", ".join(
                f"{t['table_code']} ({t['goods_variable']}, {t['countries']} countr{'y' if t['countries'] == 1 else 'ies'})"
                for t in data.goods_tables
            )
            why = f"The goods tables loaded ({loaded}) hold no {data.flow}s to {data.short_name}."
        return (
            f'<p class="note" id="top-goods-missing">{escape(why)} To see which goods make the change, add a goods-by-country '
            "table to the configuration and run <code>exportwatch update</code>:</p>" + code_block(GOODS_CONFIG)
        )
    month = data.goods_month
    rows = []
    for g in data.top_goods:
        rows.append(
            f'<tr data-goods="{escape(g["goods_code"])}">'
            + num("rank", g["rank"], str(g["rank"]))
            + txt("goods_code", g["goods_code"])
            + txt("table_code", g["table_code"], f"{g['table_code']} {g['goods_variable']}")
            + num("value_eur", g["value_eur"], fmt_meur(g["value_eur"]))
            + num("value_eur_year_before", g["value_eur_year_before"], fmt_meur(g["value_eur_year_before"]))
            + num("change_eur", g["change_eur"], fmt_meur(g["change_eur"]))
            + num("change_pct", g["change_pct"], fmt_pct(g["change_pct"]))
            + num("contribution_pp", g["contribution_pp"], fmt_pct(g["contribution_pp"]))
            + "</tr>"
        )
    headers = [
        "#",
        "Goods",
        "Table",
        f"{month:%Y-%m}, m EUR",
        f"{month.year - 1}-{month:%m}, m EUR",
        "Change, m EUR",
        "Change %",
        "Contribution, pp",
    ]
    caption = f"{long_month(month)} against {long_month(month.replace(year=month.year - 1))}, the {len(data.top_goods)} goods with the largest absolute change"
    note = (
        '<p class="note">Goods by their GENESIS code (e.g. WA8703 = HS heading 8703, cars). – in a month column: no value '
        "for that month; a code missing in one of the two months counts as 0 there, a value GENESIS withheld (a symbol such as .) "
        "leaves the change unknown and ranks last. Contribution: the change in percentage points of the table's total a year earlier.</p>"
    )
    return table("top-goods", headers, rows, caption) + note


PRIORITY_CONFIG = """[priority_goods]                 # the CHPL monitor
table = "51000-0012"
goods_variable = "WAM6"
countries = ["RU", "BY", "AM", "AZ", "GE", "KZ", "KG", "TJ", "TM", "UZ", "TR", "AE"]
since = 2019"""


def priority_section(data: "ReportData", chart_src: str | None, images: dict[str, "Png"]) -> str:
    if not data.priority_groups:
        return (
            '<p class="note" id="priority-missing">No priority goods are loaded in this warehouse. To follow the Common High '
            "Priority List, add this section to the configuration and run <code>exportwatch update</code>:</p>"
            + code_block(PRIORITY_CONFIG)
        )
    names = data.priority_group_names
    chart = (
        img(
            chart_src,
            images[chart_src],
            f"CHPL export tier sums to {names['sanctioned']} and to {names['others']}, indexed on 2021",
        )
        if chart_src
        else '<p class="note">No tier sum has a complete 2021 to index on.</p>'
    )
    rows = []
    for r in data.priority_top:
        rows.append(
            f'<tr data-country="{escape(r["country_iso2"] or r["country_code"])}" data-hs6="{escape(r["hs6"])}">'
            + txt("country", r["country_iso2"] or r["country_code"])
            + txt("hs6", r["hs6"])
            + txt("tier", r["tier"])
            + txt("description", r["description"])
            + num("value_2021", r["value_2021"], fmt_meur(r["value_2021"]))
            + num("value_last_12", r["value_last_12"], fmt_meur(r["value_last_12"]))
            + num("increase_eur", r["increase_eur"], fmt_meur(r["increase_eur"]))
            + num("index_2021", r["index_2021"], fmt_index(r["index_2021"]))
            + "</tr>"
        )
    if not rows:
        return chart + '<p class="note">No good and country has 12 months of values both in 2021 and up to the latest month.</p>'
    latest = data.priority_top[0]["latest_month"]
    headers = [
        "Country",
        "HS6",
        "Tier",
        "Good",
        "2021, m EUR",
        f"12 months to {latest:%Y-%m}, m EUR",
        "Increase, m EUR",
        "Index (2021 = 100)",
    ]
    caption = (
        f"The {len(rows)} goods × countries whose exports grew most on 2021 (12 months to {long_month(latest)} against 2021)"
    )
    note = (
        '<p class="note">Tiers of the Common High Priority List (EU, US, UK, Japan; list in the <code>priority_goods</code> table): '
        "1 = integrated circuits, the highest concern. Codes new in HS 2022 have no values before 2022 (not applicable).</p>"
    )
    return chart + table("priority-top", headers, rows, caption) + note


def alerts_table(data: "ReportData", limit: int = 12) -> str:
    if not data.alerts:
        return '<p class="note">No alert is active for this series.</p>'
    rows = []
    for a in list(reversed(data.alerts))[:limit]:
        rows.append(
            f'<tr data-month="{a["month"].isoformat()}">'
            + txt("month", a["month"], fmt_month(a["month"]))
            + txt("rule", a["rule"])
            + txt("kind", a["kind"])
            + num("metric_value", a["metric_value"], fmt_pct(a["metric_value"]))
            + num("threshold", a["threshold"], fmt_pct(a["threshold"]))
            + "</tr>"
        )
    more = len(data.alerts) - limit
    note = f'<p class="note">… and {more} earlier month(s): <code>exportwatch alerts</code>.</p>' if more > 0 else ""
    return table("alerts", ["Month", "Rule", "Kind", "Metric %", "Threshold %"], rows) + note


def revisions_table(data: "ReportData", limit: int = 12) -> str:
    if not data.revisions:
        return '<p class="note">No month of this series has been revised since it was first loaded.</p>'
    rows = []
    for r in sorted(data.revisions, key=lambda r: r["last_revised_at"], reverse=True)[:limit]:
        rows.append(
            f'<tr data-month="{r["month"].isoformat()}">'
            + txt("month", r["month"], fmt_month(r["month"]))
            + num("revisions", r["revisions"], str(r["revisions"]))
            + num("first_value", r["first_value"], fmt_meur(r["first_value"]))
            + num("current_value", r["current_value"], fmt_meur(r["current_value"]))
            + txt("last_revised_at", r["last_revised_at"], fmt_time(r["last_revised_at"]))
            + "</tr>"
        )
    more = len(data.revisions) - limit
    note = f'<p class="note">… and {more} more revised month(s): <code>SELECT * FROM revisions</code>.</p>' if more > 0 else ""
    return (
        table("revisions", ["Month", "Revisions", "First value, m EUR", "Current value, m EUR", "Last revised (UTC)"], rows)
        + note
    )


CSS = """
body { font: 15px/1.45 "Liberation Sans", "DejaVu Sans", Arial, sans-serif; color: #1f2933; margin: 0; background: #f5f7fa; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; background: white; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid #e4e7eb; padding-bottom: 4px; }
.meta, .note, caption { color: #616e7c; font-size: 13px; }
caption { text-align: left; padding: 0 0 6px; }
.lead { font-size: 17px; background: #f0f4f8; padding: 10px 14px; border-left: 4px solid #1f4e79; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
th { text-align: left; font-weight: 600; color: #3e4c59; border-bottom: 2px solid #cbd2d9; padding: 5px 8px; }
td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.neg { color: #c0392b; }
tbody tr:nth-child(even) { background: #f8fafc; }
pre { background: #f0f4f8; padding: 10px 12px; overflow-x: auto; font-size: 12.5px; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
dl { font-size: 13px; } dt { font-weight: 600; } dd { margin: 0 0 6px 16px; color: #3e4c59; }
"""


def render(
    data: "ReportData", series_src: str, route_src: str | None, images: dict[str, "Png"], priority_src: str | None = None
) -> str:
    name = escape(data.short_name)
    iso = escape(data.country_iso2)
    route_names = ", ".join(data.route_names.values())
    route = (
        img(route_src, images[route_src], f"German exports to {route_names}, indexed on 2021")
        if route_src
        else '<p class="note">No country of the watchlist has a complete 2021 to index on.</p>'
    )
    missing_base = [
        n for c, n in data.route_names.items() if not any(r["country_code"] == c and r["index_2021"] for r in data.route_rows)
    ]
    base_note = (
        f'<p class="note">Without a complete 2021 (no index): {escape(", ".join(missing_base))}.</p>' if missing_base else ""
    )
    sql_series = f"SELECT month, value_eur, yoy_pct, quality FROM monthly_trade\nWHERE country_iso2 = '{data.country_iso2}' AND flow = 'export' ORDER BY month DESC LIMIT 12;"
    sql_route = "SELECT country_iso2, month, value_eur, yoy_pct, round(index_2021, 1) AS index_2021\nFROM route_comparison WHERE flow = 'export' AND month = (SELECT max(month) FROM monthly_trade);"
    goods_month = f"DATE '{data.goods_month.isoformat()}'" if data.goods_month else "DATE '2024-08-01'"
    sql_goods = f"SELECT * FROM top_goods_change('{data.country_iso2}', 'export', {goods_month}, 10);"
    sql_priority = "SELECT country_iso2, tier, month, value_eur, round(index_2021, 1) AS index_2021\nFROM priority_goods_summary WHERE flow = 'export' AND tier = '1' ORDER BY month DESC, country_iso2;"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{GENERATOR}
<title>exportwatch report: German exports to {name}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>German exports to {name}</h1>
<p class="meta">exportwatch report made {fmt_time(data.made_at)} UTC from <code>{escape(str(data.db_path))}</code> (table {escape(data.table_code)}),
last load {fmt_time(data.last_load)} UTC. Values in EUR as published by Destatis GENESIS-Online, current vintages.</p>
{headline(data)}

<h2 id="series">Exports to {name}, with alerts and revisions</h2>
{img(series_src, images[series_src], f"German exports to {data.short_name} per month since {data.since_year}, with the change on a year earlier")}
<p class="note">Line: the monthly value, million EUR; shaded: months with provisional values (quality p); red circles:
months with an active alert (a rule's threshold crossed; kinds crossed, revised, historical); orange triangles along the
time axis: months whose value was revised after first publication. Bars: the change on the same month a year earlier
(red a fall, grey a rise); dashed red line: the alert threshold.</p>

<h2 id="latest">The latest months ({iso}, both flows)</h2>
{latest_months_table(data)}
<dl>
<dt>Quality</dt><dd>GENESIS' flag: p provisional (Destatis revises such months for over a year), e final, r revised; – none delivered.</dd>
<dt>Revisions</dt><dd>How often the warehouse has replaced the value since it first loaded it (<code>revisions</code> view).</dd>
</dl>

<h2 id="alerts-revisions">Alerts and revisions ({iso} exports)</h2>
{alerts_table(data)}
{revisions_table(data)}

<h2 id="route">The route comparison</h2>
{route}
{base_note}
{route_table(data)}

<h2 id="goods">Which goods made the change</h2>
{goods_section(data)}

<h2 id="priority-goods">Battlefield goods (Common High Priority List)</h2>
{priority_section(data, priority_src, images)}

<h2 id="sql">The same in SQL</h2>
<p class="note">Every number above comes from the warehouse; <code>exportwatch sql "…"</code> answers these, read-only.</p>
{code_block(sql_series)}
{code_block(sql_route)}
{code_block(sql_goods)}
{code_block(sql_priority)}
</main>
</body>
</html>
"""
