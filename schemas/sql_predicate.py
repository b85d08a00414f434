"""A pandera model's column checks as one SQL predicate, so staging can check a file's contract
inside its one read (warehouse/staging). Text only: quoting here, running it is the warehouse's."""

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only the models' types: this module reads check statistics, it runs no pandera
    import pandera
    import pandera.ibis


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def contract_predicate(model: "type[pandera.ibis.DataFrameModel]", *, skip: tuple[str, ...] = ("row_index",)) -> str:
    """The model's checks as one SQL predicate over its columns: NULL only where pandera would fail
    the null check, so wrap it in coalesce(..., false). Built from the checks' statistics (the
    pattern of str_matches, the allowed values of isin, the bound of ge, ...), so the model stays the
    only definition. A bound that moves with the date is a named parameter ($next_month)."""
    schema = model.to_schema()
    terms = []
    for name, column in schema.columns.items():
        if name in skip:
            continue
        identifier = quote_identifier(name)
        checks = [check_sql(identifier, check, model.__name__) for check in column.checks]
        if column.nullable:
            terms.append(f"({identifier} IS NULL OR ({' AND '.join(checks) or 'true'}))")
        else:
            terms += [f"{identifier} IS NOT NULL", *checks]
    terms += [dataframe_check_sql(check, model.__name__) for check in schema.checks]
    return "(" + " AND ".join(terms) + ")"


def check_sql(identifier: str, check: "pandera.Check", model_name: str) -> str:
    statistics = check.statistics or {}
    if "pattern" in statistics:
        pattern = statistics["pattern"]
        return f"regexp_matches({identifier}, {quote_literal(pattern if pattern.startswith('^') else '^' + pattern)})"
    if "allowed_values" in statistics:
        return f"{identifier} IN ({', '.join(quote_literal(str(v)) for v in statistics['allowed_values'])})"
    if set(statistics) == {"min_value"} and check.name == "greater_than_or_equal_to":
        return f"{identifier} >= {sql_constant(statistics['min_value'])}"
    if "max_value_parameter" in statistics:
        return f"{identifier} <= ${statistics['max_value_parameter']}"
    raise ValueError(
        f"{model_name}: check {check.name!r} gives no pattern or allowed_values statistics (nor a bound) to check it in SQL"
    )


def dataframe_check_sql(check: "pandera.Check", model_name: str) -> str:
    """A dataframe-wide check: only "column is NULL exactly when another is in values" has a SQL form."""
    statistics = check.statistics or {}
    if {"null_column", "exactly_when_column", "in_values"} <= set(statistics):
        values = ", ".join(quote_literal(str(v)) for v in statistics["in_values"])
        when = quote_identifier(statistics["exactly_when_column"])
        return f"(({quote_identifier(statistics['null_column'])} IS NULL) = coalesce({when} IN ({values}), false))"
    raise ValueError(f"{model_name}: dataframe-wide check {check.name!r} has no SQL form here")


def sql_constant(value: object) -> str:
    if isinstance(value, date):
        return f"DATE {quote_literal(value.isoformat())}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise ValueError(f"no SQL constant for {value!r}")
