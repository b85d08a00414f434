"""The update pipeline end to end over HTTP on 127.0.0.1 against the fake GENESIS server, without
Prefect: values, incremental runs with `stand`, vintages, big tables, and failures that change nothing."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from flows.errors import (
    ExportwatchError,
    FlatFileError,
    GenesisError,
    GenesisStatusError,
    GenesisTransportError,
    ValidationFailed,
)
from flows.pipeline.plan import plan_update
from flows.pipeline.run import run_update
from tests.fake_genesis import Fault
from tests.support import KG, RU, TABLE, make_observations, query, series_value, snapshot

# Every table but the run log: a run that finds nothing newer changes none of them, and adds its
# own row to update_runs (status 'unchanged'), so `exportwatch status` shows that it ran.
UNTOUCHED_BY_NO_OP_RUNS = ("raw_responses", "observations", "fetch_state", "countries", "quality_issues")


def run_log(settings):
    return query(
        settings.warehouse.path,
        "SELECT run_id, status, requests, rows_inserted, rows_closed, error FROM update_runs ORDER BY started_at",
    )


def served(genesis, country, measure):
    return {(o.year, o.month): o.value for o in genesis.state.tables[TABLE] if o.country_code == country and o.measure == measure}


def test_monthly_trade_equals_what_the_server_served_in_eur(settings, genesis, token_client):
    report = run_update(settings, token_client)

    assert report.status == "loaded"
    rows = query(
        settings.warehouse.path,
        "SELECT country_code, flow, month, value_eur, yoy_pct, mom_pct, quality FROM monthly_trade ORDER BY ALL",
    )
    assert len(rows) == len(make_observations()) == report.rows_inserted
    for country, flow, month, value, yoy, mom, quality in rows:
        measure = "WERTA" if flow == "export" else "WERTE"
        thousands = series_value(country, month.year, month.month, measure)
        assert value == thousands * 1000  # exact DECIMAL, no float on the way
        assert quality == ("p" if month.year == 2026 else None)
        if month.year > 2019:
            before = series_value(country, month.year - 1, month.month, measure)
            assert yoy == pytest.approx(float(100 * (thousands - before) / before))
        else:
            assert yoy is None
        if (month.year, month.month) != (2019, 1):
            prev = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
            before = series_value(country, prev.year, prev.month, measure)
            assert mom == pytest.approx(float(100 * (thousands - before) / before))
    ru_march_2022 = query(
        settings.warehouse.path, "SELECT country_iso2, country_name FROM monthly_trade WHERE country_code = ? LIMIT 1", [RU]
    )
    assert ru_march_2022 == [("RU", "Russian Federation (since 05/1992)")]


def test_first_run_backfills_and_archives_every_response(settings, genesis, token_client):
    run_update(settings, token_client)

    requests = genesis.state.requests_to("data/tablefile")
    years = sorted((int(r.form["startyear"]), int(r.form["endyear"])) for r in requests)
    assert years[0][0] == 2019 and years[-1][1] == datetime.now().year
    assert all("stand" not in r.form for r in requests)
    raw = query(settings.warehouse.path, "SELECT sha256, archive_path, request FROM raw_responses")
    assert len(raw) == len(requests)
    for sha, path, request in raw:
        assert (settings.warehouse.archive_dir / path).name.startswith(sha)
        assert "username" not in request and "password" not in request


def test_second_identical_run_sends_stand_and_writes_nothing(settings, genesis, token_client):
    first = run_update(settings, token_client)
    before = snapshot(settings.warehouse.path, UNTOUCHED_BY_NO_OP_RUNS)
    genesis.state.received.clear()

    report = run_update(settings, token_client)

    assert report.status == "unchanged" and report.rows_inserted == 0
    requests = genesis.state.requests_to("data/tablefile")
    assert len(requests) == 1, "only the revision window is asked again"
    assert requests[0].form["stand"]  # answered with status 50
    assert snapshot(settings.warehouse.path, UNTOUCHED_BY_NO_OP_RUNS) == before
    assert run_log(settings) == [  # ... but the run log shows that it ran
        (first.run_id, "loaded", first.requests, first.rows_inserted, 0, None),
        (report.run_id, "unchanged", 1, 0, 0, None),
    ]


def test_a_revision_keeps_both_vintages(settings, genesis, token_client):
    run_update(settings, token_client)
    first_load = query(settings.warehouse.path, "SELECT max(valid_from) FROM observations")[0][0]
    # published after the stand the next run sends (stand has minute precision)
    genesis.state.revise(TABLE, RU, 2025, 3, "WERTA", Decimal("123456.5"), updated_at=datetime(2099, 1, 1))

    report = run_update(settings, token_client)

    assert (report.rows_inserted, report.rows_closed) == (1, 1)
    assert [(c["month"], c["old_value"], c["new_value"]) for c in report.revised] == [
        (date(2025, 3, 1), series_value(RU, 2025, 3, "WERTA") * 1000, Decimal("123456500"))
    ]
    vintages = query(
        settings.warehouse.path,
        "SELECT value, valid_to IS NULL FROM observations WHERE country_code = ? AND measure = 'WERTA' AND month = DATE '2025-03-01' ORDER BY valid_from",
        [RU],
    )
    assert vintages == [(series_value(RU, 2025, 3, "WERTA") * 1000, False), (Decimal("123456500"), True)]
    current = query(
        settings.warehouse.path,
        "SELECT value_eur, last_revised_at IS NOT NULL FROM monthly_trade WHERE country_code = ? AND flow = 'export' AND month = DATE '2025-03-01'",
        [RU],
    )
    assert current == [(Decimal("123456500"), True)]
    as_of = query(
        settings.warehouse.path,
        "SELECT value_eur FROM monthly_trade_as_of(?) WHERE country_code = ? AND flow = 'export' AND month = DATE '2025-03-01'",
        [first_load, RU],
    )
    assert as_of == [(series_value(RU, 2025, 3, "WERTA") * 1000,)]
    revisions = query(settings.warehouse.path, "SELECT country_code, flow, month, old_value, new_value FROM revisions")
    assert revisions == [(RU, "export", date(2025, 3, 1), series_value(RU, 2025, 3, "WERTA") * 1000, Decimal("123456500"))]
    # the year after sees the revised value as its base
    march_2026 = query(
        settings.warehouse.path,
        "SELECT yoy_pct FROM monthly_trade WHERE country_code = ? AND flow = 'export' AND month = DATE '2026-03-01'",
        [RU],
    )[0][0]
    assert march_2026 == pytest.approx(
        float(100 * (series_value(RU, 2026, 3, "WERTA") * 1000 - Decimal("123456500")) / Decimal("123456500"))
    )


def test_symbols_are_kept_and_dash_is_zero(settings, genesis, token_client):
    genesis.state.revise(TABLE, KG, 2024, 5, "WERTA", "-", updated_at=datetime(2026, 1, 1))
    genesis.state.revise(TABLE, KG, 2024, 6, "WERTA", ".", updated_at=datetime(2026, 1, 1))
    genesis.state.revise(TABLE, KG, 2026, 9, "WERTE", "...", updated_at=datetime(2026, 1, 1))

    run_update(settings, token_client)

    rows = query(
        settings.warehouse.path,
        "SELECT month, measure, value, symbol FROM observations WHERE country_code = ? AND symbol IS NOT NULL ORDER BY month",
        [KG],
    )
    assert rows == [
        (date(2024, 5, 1), "WERTA", Decimal(0), "-"),
        (date(2024, 6, 1), "WERTA", None, "."),
        (date(2026, 9, 1), "WERTE", None, "..."),
    ]


@pytest.mark.parametrize("credentials", ["token_client", "user_client"])
def test_too_big_table_is_split_for_a_token_and_run_as_job_for_a_user(settings, genesis, credentials, request):
    client = request.getfixturevalue(credentials)
    genesis.state.value_limit = 100  # a year of 2 countries x 2 measures is 48 values: 2 years are too big

    report = run_update(settings, client)

    assert report.rows_inserted == len(make_observations())
    endpoints = [r.endpoint for r in genesis.state.received]
    if credentials == "token_client":
        assert "catalogue/results" not in endpoints
        assert all(r.form["job"] == "false" for r in genesis.state.requests_to("data/tablefile"))
    else:
        assert "catalogue/results" in endpoints and "data/resultfile" in endpoints
        assert any(r.form["job"] == "true" for r in genesis.state.requests_to("data/tablefile"))


def test_since_fetches_older_years_once_and_then_sends_stand(settings, genesis, token_client):
    settings.watchlist.since = 2021
    run_update(settings, token_client)
    genesis.state.received.clear()

    extended = run_update(settings, token_client, since=2019)

    requests = genesis.state.requests_to("data/tablefile")
    assert sorted((r.form["startyear"], r.form["endyear"], "stand" in r.form) for r in requests) == [
        ("2019", "2020", False),
        ("2021", str(datetime.now().year), True),
    ]
    assert extended.rows_inserted == len([o for o in make_observations() if o.year < 2021])
    before = snapshot(settings.warehouse.path, UNTOUCHED_BY_NO_OP_RUNS)
    for since in (2019, None):  # again with --since, and a scheduled run: the same single request
        genesis.state.received.clear()

        report = run_update(settings, token_client, since=since)

        requests = genesis.state.requests_to("data/tablefile")
        assert len(requests) == 1 and requests[0].form["stand"] and requests[0].form["startyear"] == "2021"
        assert report.status == "unchanged" and snapshot(settings.warehouse.path, UNTOUCHED_BY_NO_OP_RUNS) == before


def test_since_on_a_new_warehouse_fetches_every_year_then_sends_stand(settings, genesis, token_client):
    settings.watchlist.since = 2021
    run_update(settings, token_client, since=2019)
    assert query(settings.warehouse.path, "SELECT min(month) FROM observations") == [(date(2019, 1, 1),)]
    before = snapshot(settings.warehouse.path, UNTOUCHED_BY_NO_OP_RUNS)
    genesis.state.received.clear()

    report = run_update(settings, token_client, since=2019)

    assert report.status == "unchanged" and report.requests == 1
    assert [r.form["stand"] != "" for r in genesis.state.requests_to("data/tablefile")] == [True]
    assert snapshot(settings.warehouse.path, UNTOUCHED_BY_NO_OP_RUNS) == before


def test_backfill_downloads_its_years_again_without_stand(settings, genesis, token_client):
    run_update(settings, token_client)
    genesis.state.received.clear()

    run_update(settings, token_client, since=2020, until=2021)

    requests = genesis.state.requests_to("data/tablefile")
    assert [(r.form["startyear"], r.form["endyear"], "stand" in r.form) for r in requests] == [("2020", "2021", False)]


def test_revision_window_reaches_back_to_provisional_months(settings, genesis, token_client):
    settings.genesis.dialog_value_limit = 48  # one year of 2 countries x 2 measures per request
    genesis.state.revise(TABLE, RU, 2021, 7, "WERTA", Decimal(5), quality="p", updated_at=datetime(2026, 1, 1))
    run_update(settings, token_client)

    plan = plan_update(settings, today=date(2026, 11, 24))

    window = [(p.request.startyear, p.stand is not None) for p in plan]
    assert window == [(year, True) for year in range(2021, 2027)], "2021..2026 asked again with stand; 2019-2020 not"


def test_small_tables_ask_for_their_whole_history_in_one_stable_request(settings, genesis, token_client):
    run_update(settings, token_client)
    first = plan_update(settings, today=date(2026, 11, 24))
    later = plan_update(settings, today=date(2026, 12, 15))
    assert [(p.request.startyear, p.request.endyear) for p in first] == [(2019, 2026)]
    assert first[0].stand is not None  # the same request as the first run's: its stand is known
    assert [(p.request.key, p.stand) for p in later] == [(first[0].request.key, first[0].stand)]  # a later run in the year too


FAILURES = {
    "table missing (90)": (Fault(status_code=90), GenesisStatusError, "status 90"),
    "no matching selection (104)": (Fault(status_code=104), GenesisStatusError, "selection"),
    "not authorised (12)": (Fault(status_code=12), GenesisStatusError, "nicht berechtigt"),
    "generic error (-1)": (Fault(status_code=-1), GenesisStatusError, "kein Datenquader"),
    "HTML page": (
        Fault(body=b"<!DOCTYPE html><html>Wartung</html>", headers={"Content-Type": "text/html"}),
        GenesisError,
        "HTML page",
    ),
    "server down": (None, GenesisTransportError, "attempts"),
    "old wide format": (
        Fault(csv_transform=lambda t: "Statistik_Code;Statistik_Label\n51000;x\n"),
        FlatFileError,
        "old GENESIS format",
    ),
    "non-numeric value": (Fault(csv_transform=lambda t: t.replace(",125;", ",1x5;", 1)), ValidationFailed, "neither a number"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_a_failure_leaves_the_data_tables_unchanged(settings, genesis, token_client, case):
    run_update(settings, token_client)  # a first good load
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)  # something is new, so data is sent
    before = snapshot(settings.warehouse.path)
    fault, error_type, text = FAILURES[case]
    if fault is None:
        for _ in range(settings.genesis.retry_attempts):
            genesis.state.add_fault(Fault(http_status=503))
    else:
        genesis.state.add_fault(fault)

    with pytest.raises(error_type) as raised:
        run_update(settings, token_client)

    message = str(raised.value)
    assert text in message
    assert TABLE in message and "data/tablefile" in message
    assert isinstance(raised.value, ExportwatchError)
    assert snapshot(settings.warehouse.path) == before
    runs = query(settings.warehouse.path, "SELECT status, error FROM update_runs ORDER BY started_at")
    assert runs[-1][0] == "failed" and text in runs[-1][1]
    if fault is not None:
        assert raised.value.archived and Path(raised.value.archived).exists()
    if error_type is ValidationFailed:
        issues = query(settings.warehouse.path, "SELECT schema_name, check_name, column_name, failure_case FROM quality_issues")
        assert len(issues) == 1
        assert issues[0][0] == "FlatFileRows" and issues[0][2] == "value" and "1x5" in issues[0][3]
        assert "neither a number" in issues[0][1]


def test_extra_tables_are_planned_with_their_goods_and_own_first_year(settings):
    from flows.config import TableSettings

    settings.tables = [
        TableSettings(table="51000-0012", goods_variable="WAM4", goods=["WA8703", "WA8708"], countries=["KG"], since=2025)
    ]

    plan = plan_update(settings, today=date(2026, 11, 24))

    goods_requests = [p.request for p in plan if p.request.table == "51000-0012"]
    assert [(r.startyear, r.endyear, r.countries, r.goods) for r in goods_requests] == [(2025, 2026, (KG,), ("WA8703", "WA8708"))]
    assert goods_requests[0].form()["classifyingvariable2"] == "WAM4"
    assert {p.request.table for p in plan} == {TABLE, "51000-0012"}


def test_a_goods_table_loads_with_goods_codes_beside_the_country_totals(settings, genesis, token_client):
    from flows.config import TableSettings
    from flows.demo.genesis_server import Observation

    genesis.state.goods_variables["51000-0012"] = "WAM4"
    goods_rows = [
        Observation(country, 2025, month, "WERTA", Decimal(10 * month + i), "", goods)
        for i, goods in enumerate(["WA8703", "WA8708", "WA0101"])
        for country in (RU, KG)
        for month in range(1, 13)
    ]
    genesis.state.set_table("51000-0012", goods_rows, updated_at=datetime(2026, 1, 1))
    settings.tables = [
        TableSettings(table="51000-0012", goods_variable="WAM4", goods=["WA8703", "WA8708"], measures=["WERTA"], since=2025)
    ]

    run_update(settings, token_client)

    rows = query(
        settings.warehouse.path,
        "SELECT goods_variable, goods_code, count(*), sum(value) FROM observations WHERE table_code = '51000-0012' GROUP BY ALL ORDER BY 2",
    )

    def expected_sum(i: int) -> Decimal:
        return Decimal(2 * 1000 * sum(10 * m + i for m in range(1, 13)))

    assert rows == [("WAM4", "WA8703", 24, expected_sum(0)), ("WAM4", "WA8708", 24, expected_sum(1))]  # WA0101 was not asked for
    request = next(r for r in genesis.state.requests_to("data/tablefile") if r.form["name"] == "51000-0012")
    assert (request.form["classifyingvariable2"], request.form["classifyingkey2"]) == ("WAM4", "WA8703,WA8708")
    assert query(settings.warehouse.path, "SELECT DISTINCT table_code FROM monthly_trade") == [(TABLE,)]


def test_a_failing_change_sample_after_the_commit_costs_the_sample_not_the_run(settings, token_client, monkeypatch):
    def out_of_memory(con, load_ts, limit=50):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    monkeypatch.setattr("flows.pipeline.load.queries.changes_at", out_of_memory)
    report = run_update(settings, token_client)
    assert (report.status, report.rows_inserted, report.changes) == ("loaded", 372, [])
    assert query(settings.warehouse.path, "SELECT count(*) FROM observations")[0][0] == 372
