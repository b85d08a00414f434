"""Month bounds that move with the date."""

import datetime


def next_month(today: datetime.date | None = None) -> datetime.date:
    """The first day of the month after today's: no observation can lie later."""
    today = today or datetime.date.today()
    return datetime.date(today.year + today.month // 12, today.month % 12 + 1, 1)
