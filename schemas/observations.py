"""Tidy observations as they go into the warehouse: one value per (table, country, month, measure)."""

import pandas as pd
import pandera.pandas as pa

from schemas.measures import EARLIEST_MONTH, MEASURES, NO_VALUE_SYMBOLS

KEY = ["table_code", "country_code", "month", "measure"]


class Observations(pa.DataFrameModel):
    table_code: str = pa.Field(str_matches=r"^\d{5}-\d{4}$")
    country_code: str = pa.Field(str_matches=r"^STLAH\d{3}$")
    month: pd.Timestamp = pa.Field(ge=pd.Timestamp(EARLIEST_MONTH))
    measure: str = pa.Field(isin=sorted(MEASURES))
    value: float = pa.Field(nullable=True, ge=0)
    unit: str = pa.Field(isin=sorted({m.base_unit for m in MEASURES.values()}))
    symbol: str = pa.Field(nullable=True)
    quality: str = pa.Field(nullable=True)

    class Config:
        strict = "filter"
        coerce = True
        unique = KEY

    @pa.check("month", error="month lies after next month: data from the future")
    def not_in_future(cls, month: pd.Series) -> pd.Series:
        next_month = (pd.Timestamp.now().normalize().replace(day=1) + pd.offsets.MonthBegin(1))
        return month <= next_month

    @pa.dataframe_check(error="value must be NULL exactly when a no-value symbol (. ... / x) is given")
    def null_exactly_for_no_value_symbols(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].isna() == df["symbol"].isin(NO_VALUE_SYMBOLS)
