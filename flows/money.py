"""Amounts as exportwatch shows them to people: in millions, rounded half up, with thousands separators.

Every amount in the warehouse is in its base unit: `value_eur` and the other `*_eur` columns are
EUR, not the thousands GENESIS delivers (`Tsd. EUR` is multiplied by 1000 on load, see
schemas/measures.py). This module imports nothing but the standard library, so the run summary,
the alert messages, the report and the demo (and their tests) share it without pulling in
Prefect, Altair or DuckDB."""

from decimal import ROUND_HALF_UP, Decimal

MILLION = Decimal(10**6)


def in_millions(value: Decimal | float | int) -> Decimal:
    """997260525 -> Decimal('997.260525'): exact for DECIMAL and int, a float by its shortest repr."""
    return (Decimal(repr(value)) if isinstance(value, float) else Decimal(value)) / MILLION


def format_millions(
    value: Decimal | float | int | None, unit: str | None = "EUR", *, decimals: int = 1, missing: str = "–"
) -> str:
    """An amount in base units as millions: 997260525 -> '997.3 m EUR'; unit=None -> '997.3' (for a
    column headed "m EUR"); None -> `missing`. What rounds to zero shows unsigned ('0.0', not '-0.0')."""
    if value is None:
        return missing
    rounded = in_millions(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded) if rounded == 0 else rounded:,}"
    return text if unit is None else f"{text} m {unit}"
