"""Alert rules and the pure decision which alerts a series calls for.

The decision is a difference of states: which months cross the threshold now, against which months
have an active alert. Only months whose metric could have changed since the rule's last
evaluation are looked at, so a second run with no new data raises nothing.
"""

import hashlib
import json
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.alerts import NewAlert, SeriesMonth
from warehouse.priority_goods import priority_goods

ACTIVE_KINDS = {"crossed", "revised", "historical"}
# How many months later a month's value is the base of another month's metric; index_2021 is on
# the 2021 average, so a change in 2021 moves every month (see affected_months).
METRIC_LAG_MONTHS = {"yoy_pct": 12, "mom_pct": 1, "index_2021": 0}
# Fields added after rules were first stored: at their defaults they stay out of the fingerprint, so
# a rule written before they existed keeps its fingerprint (and its alert state).
_LATER_FIELDS = {"direction": "below", "scope": "trade", "tier": None, "hs6": None}


class AlertRule(BaseModel):
    # a threshold of inf or nan never fires (or always): rejected like every non-finite setting
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    countries: list[str] = Field(min_length=1)
    flow: Literal["export", "import"] = "export"
    metric: Literal["yoy_pct", "mom_pct", "index_2021"] = "yoy_pct"
    threshold: float
    direction: Literal["below", "above"] = Field("below", description="Fire at or below the threshold, or at or above it.")
    consecutive: int = Field(1, ge=1, description="Fire only when this many months in a row are beyond the threshold.")
    scope: Literal["trade", "priority_goods"] = Field("trade", description="Country totals, or the priority goods (CHPL).")
    tier: str | None = Field(None, description="priority_goods: the sum of one CHPL tier (default: all goods).")
    hs6: str | None = Field(None, description="priority_goods: one good by its HS 6-digit code.")

    @field_validator("tier", mode="before")
    @classmethod
    def _tier_as_text(cls, value: object) -> object:
        """`tier = 1` in TOML is a number; the list's tiers are text ("1", "2", "3.A", ...)."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:g}"
        return value

    @model_validator(mode="after")
    def _goods_selection(self) -> "AlertRule":
        if self.scope != "priority_goods" and (self.tier or self.hs6):
            raise ValueError(f'rule {self.name}: tier and hs6 need scope = "priority_goods"')
        if self.tier and self.hs6:
            raise ValueError(f"rule {self.name}: give tier or hs6, not both")
        tiers = sorted({g.tier for g in priority_goods()})
        if self.tier is not None and self.tier not in tiers:
            raise ValueError(f"rule {self.name}: unknown tier {self.tier!r}; the list has tiers {', '.join(tiers)}")
        if self.hs6 is not None and self.hs6 not in {g.hs6 for g in priority_goods()}:
            raise ValueError(
                f"rule {self.name}: hs6 {self.hs6!r} is not on the priority goods list (warehouse/seeds/priority_goods.csv)"
            )
        return self

    @property
    def fingerprint(self) -> str:
        data = {k: v for k, v in self.model_dump().items() if not (k in _LATER_FIELDS and v == _LATER_FIELDS[k])}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def comparison(self) -> str:
        return "≥" if self.direction == "above" else "≤"

    def subject(self) -> str:
        """What the rule watches, e.g. "exports" or "exports of CHPL tier 1"."""
        if self.scope != "priority_goods":
            return f"{self.flow}s"
        return f"{self.flow}s of " + (
            f"CHPL good {self.hs6}" if self.hs6 else f"CHPL tier {self.tier}" if self.tier else "all CHPL goods"
        )

    def describe(self) -> str:
        runs = f", {self.consecutive} months in a row" if self.consecutive > 1 else ""
        if self.metric == "index_2021":
            return f"{self.subject()} index (2021 = 100) {self.comparison} {self.threshold:g}{runs}"
        return f"{self.subject()} {self.metric.replace('_pct', '')} {self.comparison} {self.threshold:g} %{runs}"

    def beyond(self, value: float) -> bool:
        """Whether a metric value is on the alerting side of the threshold (the threshold included)."""
        return value >= self.threshold if self.direction == "above" else value <= self.threshold


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def crossing_months(points: list[SeriesMonth], rule: AlertRule) -> set[date]:
    """Months whose metric is beyond the threshold, and the rule's previous consecutive-1 months too."""
    beyond = {month_index(p.month) for p in points if (value := getattr(p, rule.metric)) is not None and rule.beyond(value)}
    return {p.month for p in points if all(month_index(p.month) - k in beyond for k in range(rule.consecutive))}


def affected_months(points: list[SeriesMonth], changed: set[date], rule: AlertRule) -> set[date]:
    """Months whose rule outcome can differ because `changed` months got new values: the month
    itself, the one whose metric uses it as base (a year or a month later), and the runs after them."""
    if rule.metric == "index_2021" and any(m.year == 2021 for m in changed):
        return {p.month for p in points}  # a new 2021 average moves every month's index
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
            rule.name,
            country_code,
            rule.flow,
            month,
            rule.metric,
            getattr(point, rule.metric),
            rule.threshold,
            point.value_eur,
            previous_values.get(month) if kind != "crossed" else None,
            kind,
        )

    is_active = {m for m, kind in active.items() if kind in ACTIVE_KINDS}
    if first_load or since is None:
        return [alert(m, "historical") for m in sorted(crossing - is_active)]
    changed = {p.month for p in points if p.value_changed_at > since}
    candidates = affected_months(points, changed, rule)
    raised = [alert(m, "crossed" if m in new_months else "revised") for m in sorted((crossing - is_active) & candidates)]
    cleared = [alert(m, "cleared") for m in sorted((is_active - crossing) & candidates) if m in by_month]
    return raised + cleared
