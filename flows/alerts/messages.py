"""The text of alert notifications: what a person needs to act on one."""

from decimal import Decimal

from flows.errors import LOADED

KIND_TEXT = {
    "crossed": "first publication",
    "revised": "after a revision",
    "cleared": "cleared by a revision",
    "historical": "found in the history",
}


def eur(value: Decimal | None) -> str:
    return "no value" if value is None else f"{Decimal(value) / 10**6:,.1f} m EUR"


def series_sql(alert: dict) -> str:
    return (
        f"exportwatch sql \"SELECT month, value_eur, yoy_pct, mom_pct, quality FROM monthly_trade "
        f"WHERE country_code = '{alert['country_code']}' AND flow = '{alert['flow']}' ORDER BY month DESC LIMIT 24\""
    )


def country(alert: dict) -> str:
    name = alert.get("country_name") or alert["country_code"]
    return f"{name} ({alert['country_iso2']})" if alert.get("country_iso2") else name


def line(alert: dict) -> str:
    metric = "year on year" if alert["metric"] == "yoy_pct" else "month on month"
    value = "n/a" if alert["metric_value"] is None else f"{alert['metric_value']:+.1f} %"
    text = (
        f"{alert['flow'].capitalize()}s to {country(alert)}, {alert['month']:%B %Y}: {eur(alert['value_eur'])}, "
        f"{value} {metric} (rule {alert['rule']}: ≤ {alert['threshold']:g} %), {KIND_TEXT[alert['kind']]}"
    )
    if alert["kind"] in ("revised", "cleared") and alert.get("previous_value_eur") is not None:
        text += f"; before the revision {eur(alert['previous_value_eur'])}"
    return text + "."


def single(alert: dict) -> tuple[str, str]:
    verb = "back above threshold" if alert["kind"] == "cleared" else "below threshold"
    title = f"exportwatch: {alert['flow']}s to {alert.get('country_iso2') or alert['country_code']} {alert['month']:%Y-%m} {verb}"
    return title, f"{line(alert)}\nSee the series: {series_sql(alert)}"


def digest(alerts: list[dict]) -> tuple[str, str]:
    rules = sorted({a["rule"] for a in alerts})
    title = f"exportwatch: {len(alerts)} historical crossing(s) of {', '.join(rules)}"
    body = [
        "First evaluation of these series: months in the history that are at or below the threshold.",
        "From now on each new or revised month is reported on its own.",
        "",
        *(f"- {line(a)}" for a in alerts),
        "",
        f"See a series: {series_sql(alerts[0])}",
    ]
    return title, "\n".join(body)


def failure(flow_name: str, run_name: str, message: str) -> tuple[str, str]:
    # A failure after the load's commit says so itself (flows.errors.LoadedButFailed).
    outcome = "" if LOADED in message else "Nothing of this run was loaded; the next run tries again. "
    return f"exportwatch: {flow_name} run {run_name} failed", f"{message}\n{outcome}See `exportwatch status`."
