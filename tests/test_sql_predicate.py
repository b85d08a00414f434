"""The pandera → SQL compiler: every check of the flat file model reaches the predicate, and a check
it cannot translate is refused rather than left out."""

import pandera.ibis as pa
import pytest

from schemas.flat_file import FLAT_FILE_ROWS
from schemas.sql_predicate import contract_predicate, quote_literal


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_contract_predicate_carries_every_check_of_the_model(language):
    predicate = contract_predicate(FLAT_FILE_ROWS[language])
    for column in FLAT_FILE_ROWS[language].to_schema().columns.values():
        for check in column.checks:
            literals = [check.statistics["pattern"]] if "pattern" in check.statistics else check.statistics["allowed_values"]
            assert all(quote_literal(literal) in predicate for literal in literals), (column.name, check.name)


def test_a_check_without_statistics_cannot_be_left_out_of_the_sql():
    class Untranslatable(pa.DataFrameModel):
        value: str

        @pa.check("value")
        def short(cls, data):
            return data.table[data.key].length() < 5

    with pytest.raises(ValueError, match="check 'short' gives no pattern or allowed_values"):
        contract_predicate(Untranslatable)
