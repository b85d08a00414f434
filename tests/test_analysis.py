"""The analyst views and queries on fixture data served by the fake GENESIS server: route_comparison,
monthly_trade_by_goods and top_goods_change, each checked against values computed here from what the
server served (never by re-running the view SQL)."""

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import pytest

from flows.config import TableSettings
from flows.demo.genesis_server import Observation
from flows.pipeline.run import run_update
from tests.support import KG, RU, TABLE, make_observations, query
from warehouse import queries
from warehouse.connection import connect

KZ = "STLAH079"
GOODS_TABLE = "51000-0012"
# RU exports by goods, in thousands of EUR: (2024 value, 2025 value) for every month; None = no row.
# June is special: see goods_value.
GOODS = {
    "WA8703": (Decimal("500.125"), Decimal("120.5")),  # cars: the largest fall
    "WA8708": (Decimal("100"), Decimal("300.25")),  # parts: the largest rise
    "WA8471": (Decimal("50"), Decimal("50")),  # unchanged
    "WA2710": (Decimal("90.75"), None),  # gone in 2025: counts as 0 then
    "WA3004": (None, Decimal("40")),  # new in 2025: counts as 0 before
    "WA9999": (Decimal("10"), Decimal("12")),  # June 2025 has no number ("."): change unknown
}


def goods_value(code: str, year: int, month: int, country: str = RU, measure: str = "WERTA") -> Decimal | str | None:
    """What the server serves, in thousands of EUR (or a symbol); None = no row."""
    value = GOODS[code][year - 2024]
    if value is None:
        return None
    if code == "WA9999" and (year, month) == (2025, 6):
        return "."
    value = value + month  # every month differs a little
    if country == KG:
        value = value * 2
    if measure == "WERTE":
        value = value * 3
    return value


def goods_observations() -> list[Observation]:
    rows = []
    for code in GOODS:
        for country in (RU, KG):
            for measure in ("WERTA", "WERTE"):
                for year in (2024, 2025):
                    for month in range(1, 13):
                        value = goods_value(code, year, month, country, measure)
                        if value is not None:
                            rows.append(Observation(country, year, month, measure, value, "p" if year == 2025 else "", code))
    return rows


def load_goods(settings, genesis, token_client) -> None:
    """The country totals of the fixture and a goods table 51000-0012 (WAM4) for RU and KG."""
    genesis.state.goods_variables[GOODS_TABLE] = "WAM4"
    genesis.state.set_table(GOODS_TABLE, goods_observations(), updated_at=datetime(2026, 1, 1))
    settings.tables = [TableSettings(table=GOODS_TABLE, goods_variable="WAM4", goods=["*"], goods_estimate=10, since=2024)]
    run_update(settings, token_client)


def expected_top_goods(country: str, flow: str, year: int, month: int) -> list[dict]:
    """The ranking computed in Python from what the server served."""
    measure = "WERTA" if flow == "export" else "WERTE"
    rows = []
    for code in GOODS:
        now, before = goods_value(code, year, month, country, measure), goods_value(code, year - 1, month, country, measure)
        now_eur = None if now is None or now == "." else now * 1000
        before_eur = None if before is None or before == "." else before * 1000
        unknown = now == "." or before == "."
        change = None if unknown else (now_eur or 0) - (before_eur or 0)
        rows.append({"goods_code": code, "value_eur": now_eur, "value_eur_year_before": before_eur, "change_eur": change})
    total_before = sum(r["value_eur_year_before"] or 0 for r in rows)
    for r in rows:
        r["change_pct"] = (
            None
            if r["change_eur"] is None or not r["value_eur_year_before"]
            else float(100 * r["change_eur"] / r["value_eur_year_before"])
        )
        r["contribution_pp"] = None if r["change_eur"] is None else float(100 * r["change_eur"] / total_before)
    rows.sort(key=lambda r: (r["change_eur"] is None, -abs(r["change_eur"] or 0), r["goods_code"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


def served_eur(country: str, flow: str) -> dict[date, Decimal]:
    measure = "WERTA" if flow == "export" else "WERTE"
    return {
        date(o.year, o.month, 1): o.value * 1000
        for o in make_observations()
        if o.country_code == country and o.measure == measure
    }


def test_route_comparison_indexes_every_series_on_its_2021_monthly_average(settings, genesis, token_client):
    # Kazakhstan starts in June 2021: no complete 2021, so no index
    kz = [
        Observation(KZ, y, m, "WERTA", Decimal(1000 + m), "") for y in (2021, 2022) for m in range(1, 13) if (y, m) >= (2021, 6)
    ]
    genesis.state.set_table(TABLE, make_observations() + kz, updated_at=datetime(2026, 11, 6, 7))
    settings.watchlist.countries = ["RU", "KG", "KZ"]
    run_update(settings, token_client)

    rows = query(
        settings.warehouse.path,
        "SELECT country_code, country_iso2, flow, month, value_eur, yoy_pct, index_2021 FROM route_comparison ORDER BY ALL",
    )

    assert len(rows) == len(make_observations()) + len(kz)
    checked = 0
    for country in (RU, KG):
        for flow in ("export", "import"):
            served = served_eur(country, flow)
            base = sum(v for m, v in served.items() if m.year == 2021) / 12
            for code, iso2, f, month, value, yoy, index in rows:
                if (code, f) != (country, flow):
                    continue
                assert iso2 == {RU: "RU", KG: "KG"}[country]
                assert value == served[month]
                assert index == pytest.approx(float(100 * served[month] / base), rel=1e-12)
                before = served.get(month.replace(year=month.year - 1))
                assert yoy == (None if before is None else pytest.approx(float(100 * (served[month] - before) / before)))
                checked += 1
    assert checked == len(make_observations())
    assert {r[6] for r in rows if r[0] == KZ} == {None}
    # the shift in one query: Russia's March 2022 against 2021 = 100
    ru = served_eur(RU, "export")
    march = query(
        settings.warehouse.path,
        "SELECT index_2021 FROM route_comparison WHERE country_iso2 = 'RU' AND flow = 'export' AND month = DATE '2022-03-01'",
    )
    assert march[0][0] == pytest.approx(
        float(100 * ru[date(2022, 3, 1)] / (sum(v for m, v in ru.items() if m.year == 2021) / 12))
    )


def test_monthly_trade_by_goods_holds_the_current_goods_values_with_yoy(settings, genesis, token_client):
    load_goods(settings, genesis, token_client)

    rows = query(
        settings.warehouse.path,
        "SELECT table_code, country_code, country_iso2, flow, goods_variable, goods_code, month, value_eur, quality, yoy_pct "
        "FROM monthly_trade_by_goods ORDER BY ALL",
    )

    expected = {}
    for o in goods_observations():
        expected[(o.country_code, "export" if o.measure == "WERTA" else "import", o.goods_code, date(o.year, o.month, 1))] = o
    assert len(rows) == len(expected)
    for table, country, iso2, flow, variable, code, month, value, quality, yoy in rows:
        o = expected[(country, flow, code, month)]
        assert (table, variable, iso2) == (GOODS_TABLE, "WAM4", {RU: "RU", KG: "KG"}[country])
        assert value == (None if o.value == "." else o.value * 1000)
        assert quality == (o.quality or None)
        before = expected.get((country, flow, code, month.replace(year=month.year - 1)))
        if before is None or o.value == "." or before.value == ".":
            assert yoy is None
        else:
            assert yoy == pytest.approx(float(100 * (o.value - before.value) / before.value))
    # country totals stay in monthly_trade, goods only here
    assert query(settings.warehouse.path, "SELECT DISTINCT table_code FROM monthly_trade") == [(TABLE,)]


@pytest.mark.parametrize("country, flow", [("RU", "export"), ("STLAH083", "import")])
def test_top_goods_change_ranks_the_goods_by_absolute_change(settings, genesis, token_client, country, flow):
    load_goods(settings, genesis, token_client)
    code = RU if country == "RU" else KG

    con = connect(settings.warehouse.path, read_only=True)
    try:
        top = queries.top_goods_change(con, country, flow, date(2025, 6, 15), limit=10)
        top3 = queries.top_goods_change(con, country.lower(), flow, date(2025, 6, 1), limit=3)
    finally:
        con.close()

    expected = expected_top_goods(code, flow, 2025, 6)
    assert [r["goods_code"] for r in top] == [r["goods_code"] for r in expected]
    assert [r["goods_code"] for r in top][:2] == ["WA8703", "WA8708"] and top[-1]["goods_code"] == "WA9999"
    for got, want in zip(top, expected):
        assert (got["rank"], got["table_code"], got["goods_variable"], got["flow"], got["month"]) == (
            want["rank"],
            GOODS_TABLE,
            "WAM4",
            flow,
            date(2025, 6, 1),
        )
        assert (got["value_eur"], got["value_eur_year_before"], got["change_eur"]) == (
            want["value_eur"],
            want["value_eur_year_before"],
            want["change_eur"],
        )
        for key in ("change_pct", "contribution_pp"):
            assert got[key] == (None if want[key] is None else pytest.approx(want[key]))
    assert top3 == top[:3]


def test_top_goods_change_works_from_exportwatch_sql_with_literal_values(settings, genesis, token_client):
    load_goods(settings, genesis, token_client)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "sql",
            "--db",
            str(settings.warehouse.path),
            "--format",
            "csv",
            "SELECT rank, goods_code, change_eur FROM top_goods_change('RU', 'export', DATE '2025-06-01', 3)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    want = expected_top_goods(RU, "export", 2025, 6)[:3]
    assert result.stdout.splitlines() == ["rank,goods_code,change_eur"] + [
        f"{r['rank']},{r['goods_code']},{r['change_eur']:.3f}" for r in want
    ]


def test_the_new_views_and_the_macro_are_documented(settings, genesis, token_client):
    run_update(settings, token_client)
    undocumented = query(
        settings.warehouse.path,
        "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN ('route_comparison', 'monthly_trade_by_goods') AND comment IS NULL",
    )
    views = query(
        settings.warehouse.path,
        "SELECT view_name FROM duckdb_views() WHERE view_name IN ('route_comparison', 'monthly_trade_by_goods') AND comment IS NOT NULL ORDER BY 1",
    )
    macro = query(settings.warehouse.path, "SELECT comment FROM duckdb_functions() WHERE function_name = 'top_goods_change'")
    assert undocumented == []
    assert views == [("monthly_trade_by_goods",), ("route_comparison",)]
    assert "top_goods_change('RU'" in macro[0][0]
