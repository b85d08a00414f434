"""The text of alert notifications: what a person needs to act on one."""

from flows.alerts.rules import AlertRule
from flows.errors import LOADED
from flows.money import format_millions

KIND_TEXT = {
    "crossed": "first publication",
    "revised": "after a revision",
    "cleared": "cleared by a revision",
    "historical": "found in the history",
}


def series_sql(alert: dict, rule: AlertRule | None = None) -> str:
    if rule is not None and rule.scope == "priority_goods":
        where = f"hs6 = '{rule.hs6}'" if rule.hs6 else f"tier = '{rule.tier or 'all'}'"
        view = "priority_goods_trade" if rule.hs6 else "priority_goods_summary"
        return (
            f'exportwatch sql "SELECT month, value_eur, yoy_pct, index_2021 FROM {view} '
            f"WHERE country_iso2 = '{alert.get('country_iso2')}' AND flow = '{alert['flow']}' AND {where} ORDER BY month DESC LIMIT 24\""
        )
    return (
        f'exportwatch sql "SELECT month, value_eur, yoy_pct, mom_pct, quality FROM monthly_trade '
        f"WHERE country_code = '{alert['country_code']}' AND flow = '{alert['flow']}' ORDER BY month DESC LIMIT 24\""
    )


def country(alert: dict) -> str:
    name = alert.get("country_name") or alert["country_code"]
    return f"{name} ({alert['country_iso2']})" if alert.get("country_iso2") else name


def metric_text(alert: dict) -> str:
    value = alert["metric_value"]
    if alert["metric"] == "index_2021":
        return "index n/a" if value is None else f"index {value:.1f} (2021 = 100)"
    metric = "year on year" if alert["metric"] == "yoy_pct" else "month on month"
    return f"{'n/a' if value is None else f'{value:+.1f} %'} {metric}"


def line(alert: dict, rule: AlertRule | None = None) -> str:
    """One line per alert; `rule` (the configured rule of that name, if any) says what it watches."""
    subject = rule.subject() if rule is not None else f"{alert['flow']}s"
    comparison = rule.comparison if rule is not None else "≤"
    unit = "" if alert["metric"] == "index_2021" else " %"
    text = (
        f"{subject[0].upper() + subject[1:]} to {country(alert)}, {alert['month']:%B %Y}: {format_millions(alert['value_eur'], missing='no value')}, "
        f"{metric_text(alert)} (rule {alert['rule']}: {comparison} {alert['threshold']:g}{unit}), {KIND_TEXT[alert['kind']]}"
    )
    if alert["kind"] in ("revised", "cleared") and alert.get("previous_value_eur") is not None:
        text += f"; before the revision {format_millions(alert['previous_value_eur'])}"
    return text + "."


def single(alert: dict, rule: AlertRule | None = None) -> tuple[str, str]:
    side, other = ("above", "below") if rule is not None and rule.direction == "above" else ("below", "above")
    verb = f"back {other} threshold" if alert["kind"] == "cleared" else f"{side} threshold"
    subject = rule.subject() if rule is not None else f"{alert['flow']}s"
    title = f"exportwatch: {subject} to {alert.get('country_iso2') or alert['country_code']} {alert['month']:%Y-%m} {verb}"
    return title, f"{line(alert, rule)}\nSee the series: {series_sql(alert, rule)}"


def digest(alerts: list[dict], rules: dict[str, AlertRule] | None = None) -> tuple[str, str]:
    rules = rules or {}
    names = sorted({a["rule"] for a in alerts})
    title = f"exportwatch: {len(alerts)} historical crossing(s) of {', '.join(names)}"
    body = [
        "First evaluation of these series: months in the history that are beyond the threshold.",
        "From now on each new or revised month is reported on its own.",
        "",
        *(f"- {line(a, rules.get(a['rule']))}" for a in alerts),
        "",
        f"See a series: {series_sql(alerts[0], rules.get(alerts[0]['rule']))}",
    ]
    return title, "\n".join(body)


def failure(flow_name: str, run_name: str, message: str) -> tuple[str, str]:
    # A failure after the load's commit says so itself (flows.errors.LoadedButFailed).
    outcome = "" if LOADED in message else "Nothing of this run was loaded; the next run tries again. "
    return f"exportwatch: {flow_name} run {run_name} failed", f"{message}\n{outcome}See `exportwatch status`."
