"""`exportwatch report` on fixture data served by the fake GENESIS server: the files, PNGs that
decode at their size, an HTML page that references only its own files, and table numbers equal to
the values computed here from what the server served."""

import base64
import hashlib
import os
import re
import struct
import subprocess
import sys
import zlib
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from html.parser import HTMLParser

import duckdb
import pytest

from flows.alerts.process import process_alerts
from flows.errors import ExportwatchError
from flows.orchestration.run_summary import latest_chart_markdown
from flows.pipeline.run import run_update
from flows.report.build import SERIES_SUBTITLE, build_report
from flows.report.refresh import report_dir
from tests.support import KG, RU, TABLE, make_observations, series_value
from tests.test_analysis import expected_top_goods, load_goods

REVISED = (2026, 8, Decimal("777.5"))  # RU exports August 2026 revised to 777.5 thousand EUR


# -- independent helpers: PNG decoding, HTML parsing, expected values ---------------------------


def decode_png(data: bytes, pixels: bool = False):
    """Check signature and chunk CRCs, inflate the image data and undo the scanline filters;
    return (width, height), or with pixels=True also the rows of RGB(A) bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color_type in (2, 6)
    bpp = 3 if color_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    assert len(raw) == height * (1 + stride)
    if not pixels:
        return width, height
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, up_left = previous[i], (previous[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(line)
        previous = line
    return width, height, rows, bpp


class Page(HTMLParser):
    """Tables by id (rows of (row attributes, [(cell attributes, text)])), and every src/href."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[tuple[dict, str]]]]] = {}
        self.refs: list[str] = []
        self.images: list[dict] = []
        self.elements: dict[str, tuple[dict, str]] = {}
        self._table = self._row = self._cell = None
        self._open: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.refs += [attrs[k] for k in ("src", "href") if k in attrs]
        if tag == "img":
            self.images.append(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = (attrs, [])
        elif tag in ("td",) and self._row is not None:
            self._cell = [attrs, ""]
        if "id" in attrs and tag != "table":
            self._open.append((attrs["id"], attrs))
            self.elements[attrs["id"]] = (attrs, "")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data
        for element_id, attrs in self._open:
            self.elements[element_id] = (attrs, self.elements[element_id][1] + data)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row[1].append(tuple(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row[1]:
                self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag in ("p", "span") and self._open:
            self._open.pop()

    def rows(self, table_id: str) -> list[dict]:
        """Rows as {column: (data-value, shown text)} plus the row's data attributes."""
        out = []
        for attrs, cells in self.tables[table_id]:
            row = {k: v for k, v in attrs.items()}
            row.update({c["data-col"]: (c["data-value"], text) for c, text in cells})
            out.append(row)
        return out


def meur(value: Decimal) -> str:
    return f"{(value / Decimal(1_000_000)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def pct(value: float) -> str:
    """Percentages with sign and one decimal; what rounds to zero shows as 0.0."""
    return "0.0" if round(value, 1) == 0 else f"{value:+.1f}"


def served(country: str, flow: str) -> dict[date, Decimal]:
    """What the warehouse should hold: the fixture series in EUR, with the revision applied."""
    measure = "WERTA" if flow == "export" else "WERTE"
    values = {
        date(o.year, o.month, 1): o.value * 1000
        for o in make_observations()
        if o.country_code == country and o.measure == measure
    }
    if (country, flow) == (RU, "export"):
        values[date(REVISED[0], REVISED[1], 1)] = REVISED[2] * 1000
    return values


def yoy(values: dict[date, Decimal], month: date) -> float | None:
    before = values.get(month.replace(year=month.year - 1))
    return None if before is None else float(100 * (values[month] - before) / before)


def index_2021(values: dict[date, Decimal], month: date) -> float:
    return float(100 * values[month] / (sum(v for m, v in values.items() if m.year == 2021) / 12))


@pytest.fixture
def warehouse(settings, genesis, token_client):
    """Totals and goods loaded, alerts evaluated, then one revision with its alert."""
    load_goods(settings, genesis, token_client)
    process_alerts(settings)  # history: the 2022 drop crosses the default rule (-20 %)
    genesis.state.revise(TABLE, RU, REVISED[0], REVISED[1], "WERTA", REVISED[2], updated_at=datetime(2099, 1, 1))
    run_update(settings, token_client)
    process_alerts(settings)  # the revision makes August 2026 cross: a 'revised' alert
    return settings


# -- the report ---------------------------------------------------------------------------------


def test_the_report_writes_a_self_contained_page_and_charts_of_the_expected_size(warehouse, tmp_path):
    out = tmp_path / "report"
    result = build_report(warehouse, out, "RU")

    assert result.index == out / "index.html"
    assert sorted(p.name for p in out.iterdir()) == ["exports_ru.png", "index.html", "route_comparison.png"]
    assert decode_png((out / "exports_ru.png").read_bytes()) == (1920, 1120)
    assert decode_png((out / "route_comparison.png").read_bytes()) == (1920, 880)

    html = result.index.read_text(encoding="utf-8")
    for forbidden in ("http://", "https://", "//cdn", "<script", "<link", "@import", "url("):
        assert forbidden not in html.lower()
    page = Page(html)
    assert sorted(page.refs) == ["exports_ru.png", "route_comparison.png"]
    for ref in page.refs:
        assert (out / ref).resolve().parent == out.resolve() and (out / ref).is_file()
    for image in page.images:  # the page reserves the size the PNG has (rendered at twice the CSS size)
        assert decode_png((out / image["src"]).read_bytes()) == (2 * int(image["width"]), 2 * int(image["height"]))
    caption = re.search(r'<h2 id="series">.*?<p class="note">(.*?)</p>', html, re.S).group(1).lower()
    for part in SERIES_SUBTITLE.rstrip(".").split("; "):  # the caption explains what the chart's subtitle names
        label, meaning = part.split(": ")
        assert f"{label.lower()}: " in caption and meaning.split()[0] in caption, (part, caption)
    assert "squares" not in caption  # the chart has circles and triangles only


def test_the_report_files_are_readable_like_any_new_file(warehouse, tmp_path):
    """Written under a temporary name (mode 0600) and renamed: they get the umask's mode, so a web
    server or another user can read the report (they were private before)."""
    umask = os.umask(0o022)
    try:
        build_report(warehouse, tmp_path / "report", "RU")
    finally:
        os.umask(umask)
    assert {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "report").iterdir()} == {
        "exports_ru.png": 0o644,
        "index.html": 0o644,
        "route_comparison.png": 0o644,
    }


def test_the_numbers_in_the_report_equal_the_served_values(warehouse, tmp_path):
    page = Page(build_report(warehouse, tmp_path / "report", "RU").index.read_text(encoding="utf-8"))

    # the latest 12 months of Russia, both flows, with quality flags and revision counts
    rows = page.rows("latest-months")
    months = [date(2025, 10, 1)] + [date(2026, m, 1) for m in range(1, 10)] + [date(2025, 11, 1), date(2025, 12, 1)]
    assert sorted((r["data-month"], r["data-flow"]) for r in rows) == sorted(
        (m.isoformat(), f) for m in months for f in ("export", "import")
    )
    for r in rows:
        month, flow = date.fromisoformat(r["data-month"]), r["data-flow"]
        values = served(RU, flow)
        exact, shown = r["value_eur"]
        assert Decimal(exact) == values[month] and shown == meur(values[month])
        exact, shown = r["yoy_pct"]
        assert float(exact) == pytest.approx(yoy(values, month)) and shown == pct(yoy(values, month))
        revised = (month, flow) == (date(REVISED[0], REVISED[1], 1), "export")  # the revision came without a flag
        assert r["quality"] == (("p", "p (provisional)") if month.year == 2026 and not revised else ("", "–"))
        assert r["revisions"] == (("1", "1") if revised else ("0", "0"))

    # the headline: the latest month
    attrs, text = page.elements["headline"]
    ru = served(RU, "export")
    assert attrs["data-month"] == "2026-09-01" and "September 2026" in text and f"{meur(ru[date(2026, 9, 1)])} m EUR" in text

    # the route comparison: the latest month of each country, indexed on 2021
    route = {r["data-country"]: r for r in page.rows("route-comparison")}
    assert list(route) == ["RU", "KG"]
    for iso2, code in (("RU", RU), ("KG", KG)):
        values, month = served(code, "export"), date(2026, 9, 1)
        assert route[iso2]["data-month"] == month.isoformat()
        assert Decimal(route[iso2]["value_eur"][0]) == values[month]
        assert float(route[iso2]["index_2021"][0]) == pytest.approx(index_2021(values, month))
        assert route[iso2]["index_2021"][1] == f"{index_2021(values, month):,.1f}"

    # the top goods of the latest goods month against a year earlier
    goods = page.rows("top-goods")
    expected = expected_top_goods(RU, "export", 2025, 12)
    assert [g["data-goods"] for g in goods] == [e["goods_code"] for e in expected]
    for g, e in zip(goods, expected):
        for col in ("value_eur", "value_eur_year_before", "change_eur"):
            exact, shown = g[col]
            if e[col] is None:
                assert (exact, shown) == ("", "–")
            else:
                assert (Decimal(exact), shown) == (e[col], meur(e[col]))
        exact, shown = g["contribution_pp"]
        if e["contribution_pp"] is None:
            assert exact == ""
        else:
            assert float(exact) == pytest.approx(e["contribution_pp"]) and shown == pct(e["contribution_pp"])

    # alert markers: every month at or below the rule's -20 %, newest first; the revised one says so
    crossing = sorted((m for m in ru if (yoy(ru, m) or 0) <= -20), reverse=True)
    alerts = page.rows("alerts")
    assert [a["data-month"] for a in alerts] == [m.isoformat() for m in crossing][:12]
    assert {a["kind"][0] for a in alerts} == {"historical", "revised"} and alerts[0]["kind"][0] == "revised"

    # revision markers: August 2026, first and current value
    (revision,) = page.rows("revisions")
    first = series_value(RU, 2026, 8, "WERTA") * 1000
    assert revision["data-month"] == "2026-08-01" and Decimal(revision["first_value"][0]) == first
    assert Decimal(revision["current_value"][0]) == REVISED[2] * 1000 and revision["current_value"][1] == meur(REVISED[2] * 1000)


def test_without_a_goods_table_the_report_says_how_to_configure_one(settings, token_client, tmp_path):
    run_update(settings, token_client)

    html = build_report(settings, tmp_path / "report", "KG").index.read_text(encoding="utf-8")

    page = Page(html)
    assert "top-goods" not in page.tables and "top-goods-missing" in page.elements
    assert "[[tables]]" in html and 'table = "51000-0012"' in unescape(html)
    assert [r["data-country"] for r in page.rows("route-comparison")] == ["KG", "RU"]  # the reported country first
    assert (tmp_path / "report" / "exports_kg.png").is_file()


def test_a_script_in_a_country_name_or_goods_label_is_shown_as_text(warehouse, tmp_path):
    """Country names and goods codes come from GENESIS and the warehouse: the page escapes them."""
    country, goods = '<script>alert("country")</script> & Co', "<script>alert('goods')</script><b>"
    code = expected_top_goods(RU, "export", 2025, 12)[0]["goods_code"]
    with duckdb.connect(str(warehouse.warehouse.path)) as con:
        con.execute("UPDATE countries SET name_en = ? WHERE country_code = ?", [country, RU])
        con.execute("UPDATE observations SET goods_code = ? WHERE goods_code = ?", [goods, code])

    html = build_report(warehouse, tmp_path / "report", "RU").index.read_text(encoding="utf-8")

    assert "<script" not in html.lower() and "<b>" not in html
    page = Page(html)
    assert f"German exports to {country}" in unescape(re.search(r"<h1>(.*?)</h1>", html).group(1))
    assert page.rows("route-comparison")[0]["country"][1] == f"{country} (RU)"
    (row,) = [g for g in page.rows("top-goods") if g["data-goods"] == goods]
    assert row["goods_code"] == (goods, goods)


def test_the_report_reads_the_warehouse_without_changing_it(warehouse, tmp_path):
    before = hashlib.sha256(warehouse.warehouse.path.read_bytes()).hexdigest()
    build_report(warehouse, tmp_path / "report", "RU")
    assert hashlib.sha256(warehouse.warehouse.path.read_bytes()).hexdigest() == before


def test_exportwatch_report_on_the_command_line(warehouse, tmp_path):
    def exportwatch(*args):
        return subprocess.run([sys.executable, "-m", "flows.cli", "report", *args], capture_output=True, text=True, timeout=120)

    db = str(warehouse.warehouse.path)
    ok = exportwatch("--db", db, "--out", str(tmp_path / "out"))
    no_series = exportwatch("--db", db, "--out", str(tmp_path / "x"), "--country", "KZ")

    assert ok.returncode == 0, ok.stderr
    assert (
        "index.html" in ok.stdout
        and (tmp_path / "out" / "index.html").is_file()
        and (tmp_path / "out" / "exports_ru.png").is_file()
    )
    assert no_series.returncode == 1 and "No exports to KZ" in no_series.stderr and "--country" in no_series.stderr
    assert not (tmp_path / "x").exists()


def test_report_errors_say_what_to_do(settings, tmp_path):
    settings.warehouse.path = tmp_path / "none.duckdb"
    with pytest.raises(ExportwatchError, match="No warehouse at .* run `exportwatch update`"):
        build_report(settings, tmp_path / "out", "RU")
    with pytest.raises(ExportwatchError, match="Unknown country 'XY'"):
        build_report(settings, tmp_path / "out", "XY")
    assert not (tmp_path / "out").exists()


@pytest.fixture
def png_renders(monkeypatch) -> list[dict]:
    """The Vega-Lite specs vl-convert renders to PNG (a spy: the real renderer still draws each one)."""
    import vl_convert

    specs, render = [], vl_convert.vegalite_to_png

    def counting_render(spec, *args, **kwargs):
        specs.append(spec)
        return render(spec, *args, **kwargs)

    monkeypatch.setattr(vl_convert, "vegalite_to_png", counting_render)
    return specs


def test_each_chart_of_the_report_is_rendered_once(warehouse, tmp_path, png_renders):
    result = build_report(warehouse, tmp_path / "report", "RU")

    assert len(png_renders) == len(result.charts) == 2  # the series and the route comparison
    assert [decode_png(path.read_bytes()) for path in result.charts.values()] == [(1920, 1120), (1920, 880)]


@pytest.mark.parametrize("scale_eur", [10**3, 10**6, 10**12])
def test_a_chart_comes_out_at_its_size_in_one_render_whatever_room_its_labels_take(scale_eur, png_renders):
    """Axis labels from "0.5" to "500,000,000" need different room: the plot area gives way, the image does not."""
    from flows.report.charts import render_png, series_chart

    series = [
        {
            "month": date(2019 + i // 12, i % 12 + 1, 1),
            "value_eur": Decimal(scale_eur * (500 + 10 * i)),
            "yoy_pct": -3.0 * i,
            "quality": "p",
        }
        for i in range(60)
    ]
    title = "German exports to a country with a rather long name (since 05/1992), million EUR"
    png = render_png(series_chart(title, "a subtitle " * 30, series, [], []), 721, 359, scale=1)

    assert len(png_renders) == 1 and (png.width, png.height) == (721, 359) and decode_png(png.data) == (721, 359)


def test_the_series_chart_draws_a_marker_on_every_alert_and_revised_month():
    from flows.report.charts import render_png, series_chart

    series = [
        {
            "month": date(2021 + i // 12, i % 12 + 1, 1),
            "value_eur": Decimal(10**6 * (500 + 10 * i)),
            "yoy_pct": 5.0,
            "quality": "",
        }
        for i in range(36)
    ]
    alerts = [
        {
            "month": date(2022, m, 1),
            "rule": "r",
            "kind": "historical",
            "metric": "mom_pct",
            "metric_value": -50.0,
            "threshold": -20.0,
        }
        for m in (3, 6, 9)
    ]
    revisions = [{"month": date(2023, 5, 1), "revisions": 1}]

    def pixels(alerts, revisions, rgb):
        """Pixels of one colour (the bars are grey: every change is +5 %; a mom_pct rule draws no threshold line)."""
        png = render_png(series_chart("t", "", series, alerts, revisions), 720, 360, scale=1)
        width, height, rows, bpp = decode_png(png.data, pixels=True)
        assert (width, height) == (720, 360)
        return sum(1 for row in rows for x in range(0, len(row), bpp) if all(abs(row[x + c] - rgb[c]) <= 6 for c in range(3)))

    red, orange = (0xC0, 0x39, 0x2B), (0xE6, 0x7E, 0x22)
    assert pixels([], [], red) == 0 and pixels([], [], orange) == 0
    one_alert, three_alerts = pixels(alerts[:1], [], red), pixels(alerts, [], red)
    assert one_alert > 0 and three_alerts - one_alert > 2 * 40  # each alert draws a circle
    assert pixels(alerts, [], orange) == 0
    one_revision = pixels([], revisions, orange)
    two_revisions = pixels([], revisions + [{"month": date(2021, 5, 1), "revisions": 2}], orange)
    assert one_revision > 0 and two_revisions - one_revision > 10  # each revised month draws a triangle (~18 px)
    assert pixels([], revisions, red) == 0


# -- the chart in the update artifact -----------------------------------------------------------


def test_the_artifact_embeds_a_fresh_chart_after_a_load(warehouse):
    markdown = latest_chart_markdown(warehouse, loaded=True)

    assert markdown.startswith("\n## Latest chart\n")
    encoded = markdown.split("(data:image/png;base64,", 1)[1].split(")", 1)[0]
    assert decode_png(base64.b64decode(encoded)) == (720, 360)
    index = report_dir(warehouse) / "index.html"
    assert index.is_file() and str(index.resolve()) in markdown

    unchanged = latest_chart_markdown(warehouse, loaded=False)
    assert "base64" not in unchanged and str(index.resolve()) in unchanged


def test_a_chart_that_cannot_be_made_does_not_fail_the_run(settings, tmp_path):
    settings.warehouse.path = tmp_path / "missing" / "w.duckdb"
    markdown = latest_chart_markdown(settings, loaded=True)
    assert "not rendered: No warehouse at" in markdown


@pytest.mark.prefect
def test_the_update_trade_artifact_shows_the_latest_chart(prefect_harness, flow_env, settings):
    from flows.update_trade import update_trade
    from tests.test_flows import latest_artifact

    update_trade()

    artifact = latest_artifact()
    assert "## Latest chart" in artifact and "![German exports to Russian Federation](data:image/png;base64," in artifact
    assert (settings.warehouse.path.parent / "report" / "index.html").is_file()
