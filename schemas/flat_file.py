"""The rows of a GENESIS v5 flat file after the dimension columns were found by their codes.

One row per delivered value, still as text: this is where malformed deliveries are caught
(unknown measure, wrong unit, a month 13, a value that is neither a number nor a symbol). Staging
reads the file once, so the model's checks also run as one SQL predicate inside that read
(schemas.sql_predicate.contract_predicate, built from this model: every check must state its pattern or
allowed values in `statistics`); pandera's ibis backend then runs on the rows only when that
predicate rejects any, to report them. Duplicate keys are checked in SQL
(warehouse/staging/duplicate_keys.sql): pandera's uniqueness report names no rows.
"""

import pandera.ibis as pa

from schemas.measures import MEASURES, NUMBER_PATTERN, SYMBOLS

MEASURE_UNITS = sorted(f"{m.code}|{unit}" for m in MEASURES.values() for unit in m.delivered_units())
_SYMBOL_PATTERN = "|".join(
    s.replace(".", r"\.") for s in sorted(SYMBOLS, key=lambda s: (-len(s), s))
)  # longest first, in a fixed order
VALUE_PATTERN = {language: rf"^({number}|{_SYMBOL_PATTERN})$" for language, number in NUMBER_PATTERN.items()}


class FlatFileRows(pa.DataFrameModel):
    row_index: int
    statistics_code: str = pa.Field(isin=["51000"])
    time_code: str = pa.Field(isin=["JAHR"])
    year: str = pa.Field(str_matches=r"^(19|20)\d{2}$")
    country_code: str = pa.Field(str_matches=r"^STLAH\d{3}$")
    goods_code: str = pa.Field(str_matches=r"^[A-Z0-9-]*$")
    month_code: str = pa.Field(str_matches=r"^MONAT(0[1-9]|1[0-2])$")
    measure: str = pa.Field(isin=sorted(MEASURES))
    measure_unit: str
    value: str
    quality: str = pa.Field(nullable=True, str_matches=r"^[a-z()]{0,3}$")

    class Config:
        strict = True

    @pa.check(
        "measure_unit",
        error="value_unit does not match the measure (e.g. WERTA must be 'Tsd. EUR')",
        statistics={"allowed_values": MEASURE_UNITS},
    )
    def unit_matches_measure(cls, data):
        return data.table[data.key].isin(MEASURE_UNITS)


class GermanFlatFileRows(FlatFileRows):
    @pa.check(
        "value",
        error=f"value is neither a number (decimal comma, at most 3 decimals) nor a GENESIS symbol {sorted(SYMBOLS)}",
        statistics={"pattern": VALUE_PATTERN["de"]},
    )
    def number_or_symbol(cls, data):
        return data.table[data.key].re_search(VALUE_PATTERN["de"])


class EnglishFlatFileRows(FlatFileRows):
    @pa.check(
        "value",
        error=f"value is neither a number (decimal point, at most 3 decimals) nor a GENESIS symbol {sorted(SYMBOLS)}",
        statistics={"pattern": VALUE_PATTERN["en"]},
    )
    def number_or_symbol(cls, data):
        return data.table[data.key].re_search(VALUE_PATTERN["en"])


FLAT_FILE_ROWS = {"de": GermanFlatFileRows, "en": EnglishFlatFileRows}
