"""Tidy observations as they go into the warehouse: one value per (table, country, goods, month,
measure), in base units. Checked in the DuckDB staging table as one SQL predicate built from this
model (warehouse.staging.contract_predicate: every check states its meaning in `statistics`), and
through pandera's ibis backend when that predicate rejects rows, to report them (`value` is checked
as DOUBLE; the stored value stays an exact DECIMAL)."""

import datetime

import pandera.ibis as pa

from schemas.measures import EARLIEST_MONTH, MEASURES, NO_VALUE_SYMBOLS
from schemas.months import next_month


class Observations(pa.DataFrameModel):
    row_index: int
    table_code: str = pa.Field(str_matches=r"^\d{5}-\d{4}$")
    country_code: str = pa.Field(str_matches=r"^STLAH\d{3}$")
    goods_variable: str
    goods_code: str
    month: datetime.date = pa.Field(ge=datetime.date.fromisoformat(EARLIEST_MONTH))
    measure: str = pa.Field(isin=sorted(MEASURES))
    value: float = pa.Field(nullable=True, ge=0)
    unit: str = pa.Field(isin=sorted({m.base_unit for m in MEASURES.values()}))
    symbol: str = pa.Field(nullable=True)
    quality: str = pa.Field(nullable=True)

    class Config:
        strict = True

    # The bound changes with the date: the SQL form names the parameter that carries it.
    @pa.check(
        "month", error="month lies after next month: data from the future", statistics={"max_value_parameter": "next_month"}
    )
    def not_in_future(cls, data):
        return data.table[data.key] <= next_month()

    @pa.dataframe_check(
        error="value must be NULL exactly when a no-value symbol (. ... / x) is given",
        statistics={"null_column": "value", "exactly_when_column": "symbol", "in_values": sorted(NO_VALUE_SYMBOLS)},
    )
    def null_exactly_for_no_value_symbols(cls, data):
        table = data.table
        return table.value.isnull() == table.symbol.isin(sorted(NO_VALUE_SYMBOLS)).fill_null(False)
