"""What the alert rules decide on and what they raise: plain values, so the decision
(flows/alerts/rules.py) needs no database; warehouse/alerts.py reads and stores them."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class SeriesMonth:
    month: date
    value_eur: Decimal | None
    yoy_pct: float | None
    mom_pct: float | None
    first_published_at: datetime  # when the first value replaced the placeholder ... (or nothing)
    value_changed_at: datetime  # the first publication or the latest revision; not a quality flag change
    index_2021: float | None = None


@dataclass(frozen=True)
class NewAlert:
    rule: str
    country_code: str
    flow: str
    month: date
    metric: str
    metric_value: float | None
    threshold: float
    value_eur: Decimal | None
    previous_value_eur: Decimal | None
    kind: str
