"""Alert rules and the pure decision which alerts a series calls for.

The decision is a difference of states: which months cross the threshold now, against which months
have an active alert. Only months whose metric could have changed since the rule's last
evaluation are looked at, so a second run with no new data raises nothing.
"""

import hashlib
import json
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from warehouse.alerts import NewAlert, SeriesMonth

ACTIVE_KINDS = {"crossed", "revised", "historical"}
METRIC_LAG_MONTHS = {"yoy_pct": 12, "mom_pct": 1}


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    countries: list[str] = Field(min_length=1)
    flow: Literal["export", "import"] = "export"
    metric: Literal["yoy_pct", "mom_pct"] = "yoy_pct"
    threshold: float
    consecutive: int = Field(1, ge=1, description="Fire only when this many months in a row are at or below the threshold.")

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        runs = f", {self.consecutive} months in a row" if self.consecutive > 1 else ""
        return f"{self.flow}s {self.metric.replace('_pct', '')} ≤ {self.threshold:g} %{runs}"


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def crossing_months(points: list[SeriesMonth], rule: AlertRule) -> set[date]:
    """Months whose metric is at or below the threshold, and the rule's previous consecutive-1 months too."""
    below = {
        month_index(p.month)
        for p in points
        if (value := getattr(p, rule.metric)) is not None and value <= rule.threshold
    }
    return {p.month for p in points if all(month_index(p.month) - k in below for k in range(rule.consecutive))}


def affected_months(points: list[SeriesMonth], changed: set[date], rule: AlertRule) -> set[date]:
    """Months whose rule outcome can differ because `changed` months got new values: the month
    itself, the one whose metric uses it as base (a year or a month later), and the runs after them."""
    lag = METRIC_LAG_MONTHS[rule.metric]
    changed_index = {month_index(m) for m in changed}
    reach = set(range(rule.consecutive)) | set(range(lag, lag + rule.consecutive))
    return {p.month for p in points if any(month_index(p.month) - d in changed_index for d in reach)}


def decide(
    rule: AlertRule,
    country_code: str,
    points: list[SeriesMonth],
    active: dict[date, str],
    *,
    since: datetime | None,
    previous_values: dict[date, object],
) -> list[NewAlert]:
    """The alerts for one series of a rule. `since` is the rule's watermark (None: never evaluated)."""
    by_month = {p.month: p for p in points}
    crossing = crossing_months(points, rule)
    new_months = {p.month for p in points if since is None or p.first_published_at > since}
    first_load = bool(points) and new_months == set(by_month)

    def alert(month: date, kind: str) -> NewAlert:
        point = by_month[month]
        return NewAlert(
            rule.name, country_code, rule.flow, month, rule.metric, getattr(point, rule.metric), rule.threshold,
            point.value_eur, previous_values.get(month) if kind != "crossed" else None, kind,
        )

    is_active = {m for m, kind in active.items() if kind in ACTIVE_KINDS}
    if first_load or since is None:
        return [alert(m, "historical") for m in sorted(crossing - is_active)]
    changed = {p.month for p in points if p.value_changed_at > since}
    candidates = affected_months(points, changed, rule)
    raised = [alert(m, "crossed" if m in new_months else "revised") for m in sorted((crossing - is_active) & candidates)]
    cleared = [alert(m, "cleared") for m in sorted((is_active - crossing) & candidates) if m in by_month]
    return raised + cleared

