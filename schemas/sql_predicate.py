"""A pandera model's column checks as one SQL predicate, so staging can check a file's contract
inside its one read (warehouse/staging). Text only: quoting here, running it is the warehouse's."""

import pandera
import pandera.ibis


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def contract_predicate(model: type[pandera.ibis.DataFrameModel], *, skip: tuple[str, ...] = ("row_index",)) -> str:
    """The model's column checks as one SQL predicate over its columns: NULL only where pandera would
    fail the null check, so wrap it in coalesce(..., false). Built from the checks' statistics (the
    pattern of str_matches, the allowed values of isin), so the model stays the only definition."""
    schema = model.to_schema()
    if schema.checks:
        raise ValueError(f"{model.__name__}: dataframe-wide checks have no SQL form here")
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
    return "(" + " AND ".join(terms) + ")"


def check_sql(identifier: str, check: pandera.Check, model_name: str) -> str:
    statistics = check.statistics or {}
    if "pattern" in statistics:
        pattern = statistics["pattern"]
        return f"regexp_matches({identifier}, {quote_literal(pattern if pattern.startswith('^') else '^' + pattern)})"
    if "allowed_values" in statistics:
        return f"{identifier} IN ({', '.join(quote_literal(str(v)) for v in statistics['allowed_values'])})"
    raise ValueError(f"{model_name}: check {check.name!r} gives no pattern or allowed_values statistics to check it in SQL")
