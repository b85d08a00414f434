"""The value variables ("measures") of the 51000 foreign-trade tables and how their units convert.

GENESIS delivers money in thousands (`Tsd. EUR` / `EUR 1000`); the warehouse stores base units so
that `value_eur` is in euros. The conversion is a DECIMAL multiplication, never a float one.
"""

from dataclasses import dataclass
from typing import Literal

Flow = Literal["export", "import"]


@dataclass(frozen=True)
class Measure:
    code: str
    flow: Flow
    unit_de: str
    unit_en: str
    base_unit: str
    factor: int  # multiply the delivered number by this to get base_unit

    def delivered_units(self) -> frozenset[str]:
        return frozenset({self.unit_de, self.unit_en})


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("WERTA", "export", "Tsd. EUR", "EUR 1000", "EUR", 1000),
        Measure("WERTE", "import", "Tsd. EUR", "EUR 1000", "EUR", 1000),
        Measure("WERTAS", "export", "Tsd. US $", "US-$ 1000", "USD", 1000),
        Measure("WERTES", "import", "Tsd. US $", "US-$ 1000", "USD", 1000),
        Measure("GEWA", "export", "t", "t", "t", 1),
        Measure("GEWE", "import", "t", "t", "t", 1),
    )
}

# The euro value measures that the user-facing views are built on.
VALUE_MEASURES: dict[Flow, str] = {"export": "WERTA", "import": "WERTE"}

# GENESIS symbols in the `value` field. "-" means "nothing", i.e. exactly zero; the others mean
# that there is no number (unknown or secret, later, not reliable, not meaningful).
ZERO_SYMBOL = "-"
NO_VALUE_SYMBOLS = frozenset({".", "...", "/", "x"})
SYMBOLS = NO_VALUE_SYMBOLS | {ZERO_SYMBOL}

# Numbers as GENESIS writes them: a decimal comma in German output, a decimal point in English.
# At most 3 decimals and 30 digits: the warehouse keeps values as DECIMAL(38, 3) in base units
# (thousands x 1000), so anything finer or larger could not be stored exactly and is rejected.
NUMBER_PATTERN = {"de": r"-?\d{1,30}(,\d{1,3})?", "en": r"-?\d{1,30}(\.\d{1,3})?"}

EARLIEST_MONTH = "1990-01-01"
