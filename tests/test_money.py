"""flows.money: the one formatter of amounts, shared by the run summary, alerts, the report and the demo."""

import subprocess
import sys
from decimal import Decimal

import pytest

from flows.money import format_millions, in_millions
from schemas.measures import MEASURES


def test_a_warehouse_value_in_eur_shows_in_million_eur():
    # GENESIS delivers 997,260.525 thousand EUR; the warehouse holds it in EUR (schemas/measures.py)
    value_eur = Decimal("997260.525") * MEASURES["WERTA"].factor
    assert value_eur == Decimal("997260525.000")
    assert format_millions(value_eur) == "997.3 m EUR"
    assert format_millions(value_eur, None) == "997.3"  # in a column headed "m EUR"
    assert in_millions(value_eur) == Decimal("997.260525")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("50000"), "0.1"),  # half up, not to the even digit
        (Decimal("149999.999"), "0.1"),
        (Decimal("-50000"), "-0.1"),
        (Decimal("-40000"), "0.0"),  # what rounds to zero has no sign
        (Decimal("0"), "0.0"),
        (Decimal("1234567890123.456"), "1,234,567.9"),
        (714_400_000, "714.4"),
        (2.5e6, "2.5"),
        (0.1 + 0.2, "0.0"),
    ],
)
def test_rounding_sign_and_separators(value, expected):
    assert format_millions(value, None) == expected


def test_units_decimals_and_a_missing_value():
    assert format_millions(Decimal("50123456"), decimals=0) == "50 m EUR"
    assert format_millions(Decimal("777500.000"), "USD", decimals=3) == "0.778 m USD"
    assert format_millions(Decimal("777000"), "EUR", decimals=3) != format_millions(Decimal("778000"), "EUR", decimals=3)
    assert format_millions(None) == "–"
    assert format_millions(None, missing="no value") == "no value"


def test_importing_it_pulls_in_neither_prefect_nor_altair_nor_duckdb():
    heavy = ("prefect", "altair", "duckdb", "httpx", "jinja2")
    code = f"import sys, flows.money; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
