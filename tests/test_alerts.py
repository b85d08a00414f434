"""Threshold alerts end to end: the demo series, a real HTTP receiver on 127.0.0.1 as a json://
channel, revisions that cross and clear, a receiver that is down, and secrets in channel URLs."""

import csv
import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from flows.alerts.process import process_alerts
from flows.alerts.rules import AlertRule, crossing_months, decide
from flows.demo.data import demo_observations
from flows.pipeline.run import run_update
from schemas.alerts import SeriesMonth
from tests.support import RU, TABLE, Receiver, query

DEMO_CSV = Path(__file__).resolve().parents[1] / "flows" / "demo" / "eurostat-comext-exports.csv"
LATER = datetime(2099, 1, 1)


@pytest.fixture
def demo(settings, genesis, receiver):
    genesis.state.set_table(TABLE, demo_observations(), updated_at=datetime(2024, 10, 9))
    settings.watchlist.countries = ["RU", "KG"]
    settings.watchlist.measures = ["WERTA"]
    settings.alerts.channels = [receiver.url]
    settings.alerts.delivery_backoff_seconds = 0.01
    settings.alerts.rules = [AlertRule(name="ru-yoy-30", countries=["RU"], flow="export", metric="yoy_pct", threshold=-30.0)]
    return settings


def independent_crossings(threshold: float) -> set[date]:
    values = {}
    with open(DEMO_CSV, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["partner_iso"] == "RU":
                year, month = map(int, row["month"].split("-"))
                values[(year, month)] = Decimal(row["value_eur"])
    return {
        date(year, month, 1)
        for (year, month), value in values.items()
        if (year - 1, month) in values
        and 100 * (value - values[(year - 1, month)]) / values[(year - 1, month)] <= Decimal(str(threshold))
    }


def update(settings, client):
    run_update(settings, client)
    return process_alerts(settings)


def alerted(settings, kind=None):
    rows = query(settings.warehouse.path, "SELECT month, kind FROM alerts ORDER BY month")
    return {m for m, k in rows if kind is None or k == kind}


def test_first_load_stores_exactly_the_crossings_and_sends_one_digest(demo, receiver, token_client):
    outcome = update(demo, token_client)

    expected = independent_crossings(-30.0)
    assert len(expected) > 10
    assert alerted(demo, "historical") == expected
    assert len(outcome.raised) == len(expected)
    assert len(receiver.messages) == 1
    digest = receiver.messages[0]
    assert f"{len(expected)} historical crossing(s) of ru-yoy-30" in digest["title"]
    assert "March 2022" in digest["message"] and "monthly_trade" in digest["message"]
    assert query(demo.warehouse.path, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL")[0][0] == 0


def test_a_second_run_sends_nothing_new(demo, receiver, token_client):
    update(demo, token_client)
    before = query(demo.warehouse.path, "SELECT * FROM alerts ORDER BY alert_id")

    outcome = update(demo, token_client)

    assert outcome.raised == [] and len(receiver.messages) == 1
    assert query(demo.warehouse.path, "SELECT * FROM alerts ORDER BY alert_id") == before


def test_a_revision_that_crosses_and_one_that_clears_each_send_one_message(demo, genesis, receiver, token_client):
    update(demo, token_client)
    receiver.messages.clear()
    # Both revisions fall in the revision window (2024 is still provisional), which every run re-requests.
    crossed_2024 = sorted(m for m in independent_crossings(-30.0) if m.year == 2024)
    not_crossed_2024 = sorted({date(2024, m, 1) for m in range(1, 9)} - set(crossed_2024))
    cleared_month, revised_month = crossed_2024[0], not_crossed_2024[0]
    value = {(o.year, o.month): o.value for o in demo_observations() if o.country_code == RU}
    genesis.state.revise(TABLE, RU, 2024, cleared_month.month, "WERTA", value[(2023, cleared_month.month)], updated_at=LATER)
    genesis.state.revise(
        TABLE,
        RU,
        2024,
        revised_month.month,
        "WERTA",
        (value[(2024, revised_month.month)] / 3).quantize(Decimal("1")),
        updated_at=LATER,
    )

    update(demo, token_client)

    kinds = query(
        demo.warehouse.path,
        "SELECT month, kind, previous_value_eur FROM alerts WHERE kind IN ('revised', 'cleared') ORDER BY month",
    )
    assert [(m, k) for m, k, _ in kinds] == sorted([(revised_month, "revised"), (cleared_month, "cleared")])
    assert all(previous is not None for _, _, previous in kinds)
    titles = sorted(m["title"] for m in receiver.messages)
    assert len(titles) == 2
    assert any(f"{revised_month:%Y-%m} below threshold" in t for t in titles) and any("back above threshold" in t for t in titles)
    revised_message = next(m["message"] for m in receiver.messages if f"{revised_month:%Y-%m}" in m["title"])
    assert "after a revision" in revised_message and "before the revision" in revised_message


def test_a_new_month_that_crosses_alerts_as_crossed(demo, genesis, receiver, token_client):
    update(demo, token_client)
    receiver.messages.clear()
    august_2023 = next(o for o in demo_observations() if o.country_code == RU and (o.year, o.month) == (2023, 9))
    genesis.state.revise(TABLE, RU, 2024, 9, "WERTA", (august_2023.value / 2).quantize(Decimal("1")), updated_at=LATER)

    update(demo, token_client)

    assert query(demo.warehouse.path, "SELECT month, kind FROM alerts WHERE kind = 'crossed'") == [(date(2024, 9, 1), "crossed")]
    assert len(receiver.messages) == 1 and "first publication" in receiver.messages[0]["message"]


def test_with_the_receiver_down_the_alert_waits_and_arrives_on_the_next_run(demo, genesis, receiver, token_client):
    down = Receiver()
    down_url = down.url
    down.shutdown()
    down.server_close()  # nothing listens there now
    demo.alerts.channels = [receiver.url, down_url]

    first = update(demo, token_client)

    assert first.pending > 0 and len(receiver.messages) == 1
    state = query(demo.warehouse.path, "SELECT DISTINCT delivered_at IS NULL, attempts, last_error FROM alerts")
    assert len(state) == 1 and state[0][0] is True and state[0][1] == demo.alerts.delivery_attempts and "127.0.0.1" in state[0][2]

    back = Receiver.__new__(Receiver)
    Receiver.__init__(back)  # a receiver on a new port stands in for the recovered channel
    demo.alerts.channels = [receiver.url, back.url]
    try:
        second = update(demo, token_client)
        assert second.pending == 0
        assert len(back.messages) == 1 and "historical crossing" in back.messages[0]["title"]
        assert len(receiver.messages) == 1, "the channel that had it is not sent it again"
    finally:
        back.shutdown()
        back.server_close()
    assert query(demo.warehouse.path, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL")[0][0] == 0


def test_channel_secrets_stay_out_of_logs_and_the_database(demo, receiver, token_client, caplog):
    secret = "hunter2-SECRET-pw"
    demo.alerts.channels = [f"json://alice:{secret}@127.0.0.1:9/hook"]  # port 9: refused
    demo.alerts.delivery_attempts = 1
    with caplog.at_level(logging.DEBUG):
        update(demo, token_client)
    assert secret not in caplog.text
    assert "json://alice:****@127.0.0.1:9" in caplog.text
    errors = query(demo.warehouse.path, "SELECT DISTINCT last_error FROM alerts")
    assert errors and all(secret not in (e or "") for (e,) in errors)
    assert secret.encode() not in demo.warehouse.path.read_bytes()


def point(month: date, yoy: float | None, loaded=datetime(2026, 1, 1)) -> SeriesMonth:
    return SeriesMonth(month, Decimal(100), yoy, None, loaded, loaded)


def test_consecutive_needs_that_many_months_in_a_row():
    rule = AlertRule(name="r", countries=["RU"], threshold=-20, consecutive=3)
    points = [point(date(2024, m, 1), y) for m, y in zip(range(1, 8), [-25, -30, -5, -21, -22, -23, -40])]
    assert crossing_months(points, rule) == {date(2024, 6, 1), date(2024, 7, 1)}


def test_a_revised_base_year_can_make_a_later_month_cross():
    rule = AlertRule(name="r", countries=["RU"], threshold=-20)
    since = datetime(2026, 1, 1)
    points = [point(date(2023, 5, 1), None, datetime(2026, 2, 1)), point(date(2024, 5, 1), -25.0)]  # 2023-05 revised after since
    alerts = decide(rule, RU, points, {}, since=since, previous_values={})
    assert [(a.month, a.kind) for a in alerts] == [(date(2024, 5, 1), "revised")]
