"""The CHPL monitor end to end: the fake GENESIS server serves table 51000-0012 by 6-digit goods
(variable WAM6, keys WA + HS6), with placeholders for unpublished months, HS 2022 codes reported as
'-' before they existed, and a revision; the views must equal an independent computation."""

import hashlib
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from flows.config import PriorityGoodsSettings, Settings
from flows.demo.genesis_server import Observation
from flows.pipeline.plan import plan_update
from flows.pipeline.run import run_update
from tests.support import KG, RU, query
from warehouse.priority_goods import priority_goods

GOODS_TABLE = "51000-0012"
BY = "STLAH073"
SERVED_COUNTRIES = (RU, BY, KG)
ISO = {RU: "RU", BY: "BY", KG: "KG"}
LAST_MONTH = (2026, 8)  # published; 2026-09 comes later, 2026-10..12 are '...'
TIER_1_BASE = {"854231": 1000, "854232": 100, "854233": 100, "854239": 100}  # thousands EUR, Kyrgyzstan
GOODS = priority_goods()
HS2022 = {g.hs6 for g in GOODS if g.exists_since}


def kg_tier_1_factor(year: int, month: int) -> int:
    """Kyrgyzstan's tier-1 chips: the 2021 level until 2021, twice it since 2022, four times in 2026-09."""
    if year <= 2021:
        return 1
    return 4 if (year, month) >= (2026, 9) else 2


def served_value(country: str, hs6: str, year: int, month: int, measure: str) -> Decimal | str:
    """What the server sends, in thousands of EUR (or a GENESIS symbol)."""
    if hs6 in HS2022 and year < 2022:
        return "-"  # the code did not exist: GENESIS reports nothing, which must not become 0
    if country == KG and hs6 in TIER_1_BASE and measure == "WERTA":
        return Decimal(TIER_1_BASE[hs6] * kg_tier_1_factor(year, month))
    value = Decimal(50 + int(hs6[-3:]) + 3 * month + 11 * (year - 2020)) + Decimal("0.5")
    if country == RU and (year, month) >= (2022, 3):
        value = (value / 10).quantize(Decimal("0.001"))
    return value if measure == "WERTA" else value + 7


def served_rows(last: tuple[int, int]) -> list[Observation]:
    rows = []
    for country in SERVED_COUNTRIES:
        measures = ("WERTA", "WERTE") if country == RU else ("WERTA",)
        for good in GOODS:
            for year in range(2020, 2027):
                for month in range(1, 13):
                    if (year, month) > last and (year, month) < (2026, 10):
                        continue  # not in the table yet
                    for measure in measures:
                        value = "..." if (year, month) > last else served_value(country, good.hs6, year, month, measure)
                        rows.append(
                            Observation(country, year, month, measure, value, "p" if year == 2026 else "", f"WA{good.hs6}")
                        )
    return rows


@pytest.fixture
def chpl(settings, genesis):
    genesis.state.goods_variables[GOODS_TABLE] = "WAM6"
    genesis.state.set_table(GOODS_TABLE, served_rows(LAST_MONTH), updated_at=datetime(2026, 10, 9))
    settings.priority_goods = PriorityGoodsSettings(countries=["RU", "BY", "KG"], since=2020)
    return settings


def expected_trade(last: tuple[int, int], revised: dict | None = None) -> dict[tuple, tuple]:
    """(country, flow, hs6, month) -> (value_eur, index_2021), computed from served_value directly."""
    values: dict[tuple, Decimal | None] = {}
    for country in SERVED_COUNTRIES:
        for measure in ("WERTA", "WERTE") if country == RU else ("WERTA",):
            flow = "export" if measure == "WERTA" else "import"
            for good in GOODS:
                for year in range(2020, 2027):
                    for month in range(1, 13):
                        if (year, month) >= (2026, 10) or (year, month) <= last:
                            served = served_value(country, good.hs6, year, month, measure) if (year, month) <= last else "..."
                            served = (revised or {}).get((country, good.hs6, year, month, measure), served)
                            value = None if isinstance(served, str) else served * 1000
                            if good.exists_since and date(year, month, 1) < good.exists_since:
                                value = None  # not applicable
                            values[(country, flow, good.hs6, date(year, month, 1))] = value
    return values


def index_2021(series: dict[date, Decimal | None], month: date) -> float | None:
    base = [series.get(date(2021, m, 1)) for m in range(1, 13)]
    if any(v is None for v in base) or series.get(month) is None or sum(base) == 0:
        return None
    return float(100 * series[month] / (sum(base) / 12))


def close(a, b) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    )


def test_requests_select_exactly_the_listed_goods_and_countries_below_the_dialog_limit(settings):
    settings.priority_goods = PriorityGoodsSettings()  # the documented default: 12 countries since 2019
    plan = plan_update(settings, today=date(2026, 11, 25))
    requests = [p.request for p in plan if p.request.table == GOODS_TABLE]
    assert len(GOODS) == 50
    assert requests and all(r.values <= 40_000 for r in requests)
    # 12 countries x 2 flows x 50 goods x 12 months = 14,400 values a year: two years a request.
    assert sorted((r.startyear, r.endyear) for r in requests) == [
        (2019, 2019),
        (2020, 2021),
        (2022, 2023),
        (2024, 2025),
        (2026, 2026),
    ]
    for r in requests:
        form = r.form()
        assert (form["classifyingvariable2"], form["classifyingkey2"]) == ("WAM6", ",".join(f"WA{g.hs6}" for g in GOODS))
        assert len(form["classifyingkey1"].split(",")) == 12 and form["contents"] == "WERTA,WERTE"


def test_the_section_is_off_unless_configured(settings):
    assert Settings().priority_goods is None
    assert {p.request.table for p in plan_update(settings, today=date(2026, 11, 25))} == {"51000-0004"}


@pytest.mark.slow
def test_views_hold_exactly_what_was_served_with_index_and_tier_sums(chpl, genesis, token_client):
    run_update(chpl, token_client)
    db = chpl.warehouse.path
    expected = expected_trade(LAST_MONTH)
    sent = [r.form for r in genesis.state.requests_to("data/tablefile") if r.form["name"] == GOODS_TABLE]
    assert {(f["classifyingkey1"], f["classifyingvariable2"], f["classifyingkey2"], f["contents"]) for f in sent} == {
        (f"{RU},{BY},{KG}", "WAM6", ",".join(f"WA{g.hs6}" for g in GOODS), "WERTA,WERTE")
    }
    years = [year for f in sent for year in range(int(f["startyear"]), int(f["endyear"]) + 1)]
    assert sorted(years) == list(range(2020, date.today().year + 1))  # every year once

    rows = query(db, "SELECT country_code, flow, hs6, month, value_eur, index_2021, tier, table_code FROM priority_goods_trade")
    assert {(c, f, h, m) for c, f, h, m, *_ in rows} == set(expected)
    tiers = {g.hs6: g.tier for g in GOODS}
    by_series: dict[tuple, dict] = defaultdict(dict)
    for key, value in expected.items():
        by_series[key[:3]][key[3]] = value
    for country, flow, hs6, month, value, index, tier, table in rows:
        assert value == expected[(country, flow, hs6, month)], (country, flow, hs6, month)
        assert close(index, index_2021(by_series[(country, flow, hs6)], month)), (country, flow, hs6, month, index)
        assert (tier, table) == (tiers[hs6], GOODS_TABLE)

    # Tier sums and 'all'; NULL while a month is '...'. Their index and yoy compare like with like:
    # the goods that existed in 2021 (index) or a year earlier (yoy), not the HS 2022 codes before.
    by_hs6 = {g.hs6: g for g in GOODS}

    def tier_sums(counts) -> tuple[dict, set]:
        sums: dict[tuple, dict] = defaultdict(lambda: defaultdict(Decimal))
        unknown: set[tuple] = set()
        for (country, flow, hs6, month), value in expected.items():
            good = by_hs6[hs6]
            if not counts(good, month):
                continue
            for tier in (tiers[hs6], "all"):
                if value is None and not (good.exists_since and month < good.exists_since):
                    unknown.add((country, flow, tier, month))
                sums[(ISO[country], flow, tier)][month] += value or 0
        return sums, unknown

    def series_of(sums, unknown, iso, flow, tier):
        code = next(c for c, i in ISO.items() if i == iso)
        return {m: (None if (code, flow, tier, m) in unknown else v) for m, v in sums[(iso, flow, tier)].items()}

    every = tier_sums(lambda good, month: True)
    of_2021 = tier_sums(lambda good, month: good.exists_since is None or good.exists_since <= date(2021, 1, 1))
    a_year_earlier = tier_sums(
        lambda good, month: good.exists_since is None or good.exists_since <= month.replace(year=month.year - 1)
    )
    summary = query(db, "SELECT country_iso2, flow, tier, month, value_eur, index_2021, yoy_pct FROM priority_goods_summary")
    assert (
        len(summary) == sum(len(s) for s in every[0].values()) and len(summary) == 4 * 7 * 83
    )  # 4 series, 6 tiers + all, 80 + 3 months
    for iso, flow, tier, month, value, index, yoy in summary:
        series = series_of(*every, iso, flow, tier)
        assert value == series[month], (iso, flow, tier, month)
        assert close(index, index_2021(series_of(*of_2021, iso, flow, tier), month)), (iso, flow, tier, month, index)
        now, before = series_of(*a_year_earlier, iso, flow, tier).get(month), series.get(month.replace(year=month.year - 1))
        expected_yoy = None if now is None or not before else float(100 * (now - before) / before)
        assert close(yoy, expected_yoy), (iso, flow, tier, month, yoy)

    # Across the break: in January 2022 the tier-2 sum holds the new code 854800, its index does not.
    ((value, index),) = query(
        db,
        "SELECT value_eur, index_2021 FROM priority_goods_summary WHERE country_iso2 = 'KG' AND tier = '2' AND month = DATE '2022-01-01'",
    )
    base = sum(series_of(*every, "KG", "export", "2")[date(2021, m, 1)] for m in range(1, 13)) / 12
    assert index < float(100 * value / base)

    # Kyrgyzstan's tier-1 chips: twice the 2021 level since 2022.
    assert query(
        db, "SELECT index_2021 FROM priority_goods_summary WHERE country_iso2 = 'KG' AND tier = '1' AND month = DATE '2026-08-01'"
    ) == [(200.0,)]


@pytest.mark.slow
def test_a_code_before_its_hs_edition_is_null_not_zero(chpl, genesis, token_client):
    run_update(chpl, token_client)
    db = chpl.warehouse.path
    # GENESIS said '-' (stored as 0 in observations, as for every table) ...
    assert query(
        db, "SELECT DISTINCT value, symbol FROM observations WHERE goods_code = 'WA854800' AND month < DATE '2022-01-01'"
    ) == [(Decimal(0), "-")]
    # ... but the code did not exist: not applicable.
    before = query(
        db,
        "SELECT DISTINCT value_eur, yoy_pct, index_2021 FROM priority_goods_trade WHERE hs6 = '854800' AND month < DATE '2022-01-01'",
    )
    assert before == [(None, None, None)]
    after = query(
        db, "SELECT count(*), count(value_eur) FROM priority_goods_trade WHERE hs6 = '854800' AND month = DATE '2022-01-01'"
    )
    assert after == [(4, 4)]
    # Tier 2 sums in 2021 are the other four goods, not NULL: a good that did not exist is not unknown.
    assert query(
        db,
        "SELECT value_eur IS NOT NULL FROM priority_goods_summary WHERE country_iso2 = 'KG' AND tier = '2' AND month = DATE '2021-05-01'",
    ) == [(True,)]


@pytest.mark.slow
def test_the_views_as_of_a_timestamp_show_the_state_before_a_revision(chpl, genesis, token_client):
    run_update(chpl, token_client)
    first = query(chpl.warehouse.path, "SELECT max(valid_from) FROM observations")[0][0]
    genesis.state.revise(
        GOODS_TABLE, KG, 2026, 8, "WERTA", Decimal(5000), "p", goods_code="WA854231", updated_at=datetime(2099, 1, 1)
    )
    run_update(chpl, token_client)
    select = "SELECT value_eur FROM {} WHERE country_iso2 = 'KG' AND flow = 'export' AND {} AND month = DATE '2026-08-01'"
    db = chpl.warehouse.path
    assert query(db, select.format("priority_goods_trade", "hs6 = '854231'")) == [(Decimal(5_000_000),)]
    assert query(db, select.format("priority_goods_trade_as_of(?)", "hs6 = '854231'"), [first]) == [(Decimal(2_000_000),)]
    assert query(db, select.format("priority_goods_summary_as_of(?)", "tier = '1'"), [first]) == [(Decimal(2 * 1_300_000),)]
    assert query(db, select.format("priority_goods_summary", "tier = '1'")) == [(Decimal(5_000_000 + 2 * 300_000),)]


@pytest.mark.slow
def test_a_file_in_another_goods_classification_is_rejected_and_nothing_is_loaded(chpl, genesis, token_client):
    from flows.errors import ExportwatchError

    genesis.state.goods_variables[GOODS_TABLE] = "WAM4"
    with pytest.raises(ExportwatchError, match="goods variable WAM4, but the configuration names WAM6"):
        run_update(chpl, token_client)
    assert query(chpl.warehouse.path, "SELECT count(*) FROM observations WHERE table_code = ?", [GOODS_TABLE]) == [(0,)]


def test_priority_goods_and_the_views_are_in_the_data_dictionary(chpl):
    import duckdb

    from warehouse.migrate import migrate

    con = duckdb.connect()
    migrate(con)
    comments = dict(
        con.execute(
            "SELECT table_name || '.' || column_name, comment FROM duckdb_columns() "
            "WHERE table_name IN ('priority_goods', 'priority_goods_trade', 'priority_goods_summary')"
        ).fetchall()
    )
    assert [c.split(".")[1] for c in comments if c.startswith("priority_goods_trade.")] == [
        "table_code",
        "country_code",
        "country_iso2",
        "country_name",
        "flow",
        "hs6",
        "tier",
        "month",
        "value_eur",
        "yoy_pct",
        "index_2021",
    ]
    assert [c.split(".")[1] for c in comments if c.startswith("priority_goods_summary.")] == [
        "country_iso2",
        "flow",
        "tier",
        "month",
        "value_eur",
        "yoy_pct",
        "index_2021",
    ]
    assert all(comments.values())
    assert con.execute("SELECT count(*), count(DISTINCT hs6), min(list_version) FROM priority_goods").fetchall() == [
        (50, 50, "2024-02-23")
    ]


# -- alerts ---------------------------------------------------------------------------------------

CHIPS_RULE = """
[[alerts.rules]]
name = "chips-to-kyrgyzstan"
scope = "priority_goods"
countries = ["KG"]
tier = "1"
metric = "index_2021"
direction = "above"
threshold = 300
"""


@pytest.mark.slow
def test_the_above_rule_raises_crossed_once_and_cleared_after_a_revision(chpl, genesis, token_client, receiver, tmp_path):
    from flows.alerts.process import process_alerts
    from flows.config import load_settings

    config = tmp_path / "rules.toml"
    config.write_text(CHIPS_RULE, encoding="utf-8")
    chpl.alerts.rules = load_settings(config).alerts.rules  # the example, parsed as a user writes it
    chpl.alerts.channels = [receiver.url]
    chpl.alerts.delivery_backoff_seconds = 0.01
    db = chpl.warehouse.path

    def alerts():
        return query(db, "SELECT month, kind, metric, round(metric_value, 6), threshold FROM alerts ORDER BY alert_id")

    run_update(chpl, token_client)
    assert process_alerts(chpl).raised == [] and alerts() == []  # index 200 through 2026-08: nothing beyond 300

    # September 2026 is published: Kyrgyzstan's tier-1 chips at four times 2021.
    genesis.state.set_table(GOODS_TABLE, served_rows((2026, 9)), updated_at=datetime(2099, 1, 1))
    run_update(chpl, token_client)
    outcome = process_alerts(chpl)
    assert alerts() == [(date(2026, 9, 1), "crossed", "index_2021", 400.0, 300.0)]
    assert outcome.raised == [
        "Exports of CHPL tier 1 to Kyrgyzstan (since 05/1992) (KG), September 2026: 5.2 m EUR, index 400.0 (2021 = 100) "
        "(rule chips-to-kyrgyzstan: ≥ 300), first publication."
    ]
    assert [m["title"] for m in receiver.messages] == ["exportwatch: exports of CHPL tier 1 to KG 2026-09 above threshold"]
    assert (
        "FROM priority_goods_summary WHERE country_iso2 = 'KG' AND flow = 'export' AND tier = '1'"
        in receiver.messages[0]["message"]
    )

    run_update(chpl, token_client)  # nothing new: nothing raised again
    assert process_alerts(chpl).raised == [] and len(alerts()) == 1

    # A revision brings the processors back to their 2021 level: 1,000 + 4 x 300 = 2,200 = index 169.
    genesis.state.revise(
        GOODS_TABLE, KG, 2026, 9, "WERTA", Decimal(1000), "p", goods_code="WA854231", updated_at=datetime(2099, 2, 1)
    )
    run_update(chpl, token_client)
    outcome = process_alerts(chpl)
    assert alerts()[1:] == [(date(2026, 9, 1), "cleared", "index_2021", round(100 * 2200 / 1300, 6), 300.0)]
    assert outcome.raised[0].endswith("cleared by a revision; before the revision 5.2 m EUR.")
    assert receiver.messages[-1]["title"] == "exportwatch: exports of CHPL tier 1 to KG 2026-09 back below threshold"


def test_rule_fields_are_checked_and_old_rules_keep_their_fingerprint():
    from pydantic import ValidationError

    from flows.alerts.rules import AlertRule

    old = AlertRule(name="r", countries=["RU"], metric="yoy_pct", threshold=-20)
    assert old.direction == "below" and old.scope == "trade"
    # The fingerprint as computed before direction/scope/tier/hs6 existed (stored alert state keeps it).
    before = {"name": "r", "countries": ["RU"], "flow": "export", "metric": "yoy_pct", "threshold": -20.0, "consecutive": 1}
    assert old.fingerprint == hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:16]
    assert (
        AlertRule(name="r", countries=["RU"], metric="yoy_pct", threshold=-20, direction="above").fingerprint != old.fingerprint
    )
    for bad, message in [
        (dict(tier="1"), 'tier and hs6 need scope = "priority_goods"'),
        (dict(scope="priority_goods", tier="5"), "unknown tier '5'; the list has tiers 1, 2, 3.A, 3.B, 4.A, 4.B"),
        (dict(scope="priority_goods", hs6="123456"), "hs6 '123456' is not on the priority goods list"),
        (dict(scope="priority_goods", tier="1", hs6="854231"), "give tier or hs6, not both"),
    ]:
        with pytest.raises(ValidationError, match=message):
            AlertRule(name="r", countries=["KG"], metric="index_2021", threshold=300, **bad)


def test_a_below_rule_on_one_good_fires_on_its_index(chpl, genesis, token_client):
    from flows.alerts.process import process_alerts
    from flows.alerts.rules import AlertRule

    run_update(chpl, token_client)
    # Russia, processors: a tenth of the served value from March 2022 on.
    chpl.alerts.rules = [
        AlertRule(name="ru-cpu", scope="priority_goods", hs6="854231", countries=["RU"], metric="index_2021", threshold=20)
    ]
    process_alerts(chpl)
    months = [m for (m,) in query(chpl.warehouse.path, "SELECT month FROM alerts WHERE kind = 'historical' ORDER BY month")]
    expected = expected_trade(LAST_MONTH)
    series = {m: v for (c, f, h, m), v in expected.items() if (c, f, h) == (RU, "export", "854231")}
    assert months == sorted(m for m in series if (i := index_2021(series, m)) is not None and i <= 20)
    assert months[0] == date(2022, 3, 1)


# -- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("served", ["WAM6", "WAM4"])
def test_check_says_whether_the_configured_goods_variable_exists(genesis, tmp_path, served):
    from tests.support import TOKEN
    from tests.test_cli import exportwatch

    genesis.state.goods_variables[GOODS_TABLE] = served
    genesis.state.set_table(GOODS_TABLE, served_rows(LAST_MONTH)[:10])
    config = tmp_path / "exportwatch.toml"
    config.write_text('[priority_goods]\ntable = "51000-0012"\ngoods_variable = "WAM6"\n', encoding="utf-8")
    result = exportwatch("check", "--config", str(config), env={"GENESIS_API_URL": genesis.base_url, "GENESIS_TOKEN": TOKEN})
    asked = [r.form["name"] for r in genesis.state.requests_to("metadata/table")]
    assert asked == ["51000-0004", GOODS_TABLE]
    if served == "WAM6":
        assert result.returncode == 0, result.stderr
        assert "51000-0012 ([priority_goods]): variables STLAH, MONAT, WAM6 found" in result.stdout
        assert "51000-0004 ([watchlist]): variables STLAH, MONAT found" in result.stdout
    else:
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            "error: 51000-0012 ([priority_goods]): metadata/table lists no goods variable WAM6 (it has WAM4); set goods_variable "
            "in [priority_goods]"
        ]
        assert "51000-0004 ([watchlist]): variables STLAH, MONAT found" in result.stdout


# -- report ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_report_section_shows_the_tier_chart_and_the_ten_largest_increases(chpl, genesis, token_client, tmp_path):
    from flows.alerts.process import process_alerts
    from flows.alerts.rules import AlertRule
    from flows.report.build import build_report
    from tests.test_report import Page, decode_png

    run_update(chpl, token_client)
    chpl.alerts.rules = [
        AlertRule(name="ru-cpu", scope="priority_goods", hs6="854231", countries=["RU"], metric="index_2021", threshold=20)
    ]
    assert process_alerts(chpl).raised  # Russia's processors since March 2022 ...
    result = build_report(chpl, tmp_path / "report", "RU")
    assert result.data.alerts == []  # ... are not markers on the chart of Russia's total exports
    page = Page(result.index.read_text(encoding="utf-8"))
    assert "priority_goods.png" in page.refs and decode_png((tmp_path / "report" / "priority_goods.png").read_bytes()) == (
        1920,
        960,
    )
    assert {g["country_group"] for g in result.data.priority_groups} == {"sanctioned", "others"}
    assert result.data.priority_group_names == {"sanctioned": "RU + BY", "others": "1 other country"}

    # Independently: exports in the 12 months to 2026-08 against 2021, per good and country.
    expected = expected_trade(LAST_MONTH)
    window = [date(2025, m, 1) for m in range(9, 13)] + [date(2026, m, 1) for m in range(1, 9)]
    increases = []
    for country in SERVED_COUNTRIES:
        for good in GOODS:
            base = [expected[(country, "export", good.hs6, date(2021, m, 1))] for m in range(1, 13)]
            recent = [expected[(country, "export", good.hs6, m)] for m in window]
            if None not in base and None not in recent:
                increases.append((sum(recent) - sum(base), ISO[country], good.hs6))
    top = sorted(increases, key=lambda t: (-t[0], {RU: 0, BY: 1, KG: 2}[next(c for c, i in ISO.items() if i == t[1])], t[2]))[:10]
    rows = page.tables["priority-top"]
    assert [(attrs["data-country"], attrs["data-hs6"]) for attrs, _ in rows] == [(iso, hs6) for _, iso, hs6 in top]
    assert [Decimal(cells[6][0]["data-value"]) for _, cells in rows] == [increase for increase, _, _ in top]
    assert rows[0][0] == {"data-country": "KG", "data-hs6": "854231"}  # the processors to Kyrgyzstan: +12 m EUR


def test_without_priority_goods_the_report_says_how_to_configure_them(settings, token_client, tmp_path):
    from flows.report.build import build_report
    from tests.test_report import Page

    run_update(settings, token_client)
    page = Page(build_report(settings, tmp_path / "report", "RU").index.read_text(encoding="utf-8"))
    assert "priority-missing" in page.elements and "priority_goods.png" not in page.refs


def test_a_new_list_version_is_a_data_change(tmp_path, monkeypatch):
    import shutil

    import duckdb

    import warehouse.migrate as migrate_module
    from warehouse.sql_files import seed_path

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    lines = open(seed_path("priority_goods.csv"), encoding="utf-8").read().splitlines()
    (seeds / "priority_goods.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(seed_path("countries.csv"), seeds / "countries.csv")
    monkeypatch.setattr(migrate_module, "seed_path", lambda name: str(seeds / name))
    monkeypatch.setattr(migrate_module, "seed_hash", lambda name: hashlib.sha256((seeds / name).read_bytes()).hexdigest()[:16])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate_module.migrate(con)
    assert con.execute("SELECT count(*), min(list_version) FROM priority_goods").fetchall() == [(50, "2024-02-23")]
    assert migrate_module.migrate(con) == []  # the same file: nothing to do

    # A later version of the list: one code fewer, a new date; no code changes.
    later = [lines[0]] + [line.replace("2024-02-23", "2025-01-01") for line in lines[2:]]
    (seeds / "priority_goods.csv").write_text("\n".join(later) + "\n", encoding="utf-8")
    applied = migrate_module.migrate(con)
    assert [name.split("@")[0] for name in applied] == ["seeds/priority_goods"]
    assert con.execute(
        "SELECT count(*), min(list_version), count(*) FILTER (WHERE hs6 = '854231') FROM priority_goods"
    ).fetchall() == [(49, "2025-01-01", 0)]
