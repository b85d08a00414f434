"""The rows of a GENESIS v5 flat file after the dimension columns were found by their codes.

One row per delivered value, still as text: this is where malformed deliveries are caught
(unknown measure, wrong unit, a month 13, a value that is neither a number nor a symbol).
"""

import re

import pandas as pd
import pandera.pandas as pa

from schemas.measures import MEASURES, NUMBER_PATTERN, SYMBOLS

KEY = ["country_code", "year", "month_code", "measure"]


class FlatFileRows(pa.DataFrameModel):
    statistics_code: str = pa.Field(eq="51000")
    time_code: str = pa.Field(eq="JAHR")
    year: str = pa.Field(str_matches=r"^(19|20)\d{2}$")
    country_code: str = pa.Field(str_matches=r"^STLAH\d{3}$")
    month_code: str = pa.Field(str_matches=r"^MONAT(0[1-9]|1[0-2])$")
    measure: str = pa.Field(isin=sorted(MEASURES))
    unit: str
    value: str
    quality: str = pa.Field(nullable=True, str_matches=r"^[a-z()]{0,3}$")

    class Config:
        strict = True
        unique = KEY

    @pa.dataframe_check(error="value_unit does not match the measure (e.g. WERTA must be 'Tsd. EUR')")
    def unit_matches_measure(cls, df: pd.DataFrame) -> pd.Series:
        expected = df["measure"].map(lambda code: MEASURES[code].delivered_units() if code in MEASURES else ())
        return pd.Series([u in e for u, e in zip(df["unit"], expected)], index=df.index)


def value_check(language: str) -> pa.Check:
    """A value is a number in the file's language or one of the GENESIS symbols."""
    pattern = re.compile(rf"^(?:{NUMBER_PATTERN[language]})$")
    return pa.Check(
        lambda s: s.map(lambda v: v in SYMBOLS or bool(pattern.match(v))),
        element_wise=False,
        name=f"number_or_symbol_{language}",
        error=f"value is neither a number ({'decimal comma' if language == 'de' else 'decimal point'}, "
        f"at most 3 decimals) nor a GENESIS symbol {sorted(SYMBOLS)}",
    )


def flat_file_schema(language: str) -> pa.DataFrameSchema:
    schema = FlatFileRows.to_schema()
    return schema.update_column("value", checks=[value_check(language)])
