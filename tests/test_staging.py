"""Staging in one read: the layout is taken from the first rows and checked on every row in the same
read; the flat file contract runs there as SQL built from the pandera model."""

import pandera.ibis as pa
import pytest

import flows.genesis.flatfile as flatfile
from flows.errors import FlatFileError
from schemas.flat_file import FLAT_FILE_ROWS
from tests.test_flat_file import generated, set_field, stage, write_csv
from warehouse import staging


def test_a_variable_missing_from_the_first_rows_is_found_in_the_whole_file(tmp_path, monkeypatch):
    _, reference = stage(tmp_path, write_csv(tmp_path, generated(), name="ref.csv"), "de", "ref")
    no_code_first = set_field(generated(), "1_variable_code", "")  # DINSG is named from row 2 on
    monkeypatch.setattr(flatfile, "LAYOUT_SAMPLE_ROWS", 1)
    count, rows = stage(tmp_path, write_csv(tmp_path, no_code_first, name="late.csv"), "de", "late")
    assert rows == reference and count == len(reference)


def test_a_column_that_mixes_variables_after_the_first_rows_is_named(tmp_path, monkeypatch):
    mixed = set_field(generated(), "1_variable_code", "WAM4", row=5)
    monkeypatch.setattr(flatfile, "LAYOUT_SAMPLE_ROWS", 1)
    with pytest.raises(FlatFileError, match=r"column 1_variable_code mixes variables \['DINSG', 'WAM4'\]"):
        stage(tmp_path, write_csv(tmp_path, mixed))
    assert not list(tmp_path.glob("*.parquet"))


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_contract_predicate_carries_every_check_of_the_model(language):
    predicate = staging.contract_predicate(FLAT_FILE_ROWS[language])
    for column in FLAT_FILE_ROWS[language].to_schema().columns.values():
        for check in column.checks:
            literals = [check.statistics["pattern"]] if "pattern" in check.statistics else check.statistics["allowed_values"]
            assert all(staging.quote_literal(literal) in predicate for literal in literals), (column.name, check.name)


def test_a_check_without_statistics_cannot_be_left_out_of_the_sql():
    class Untranslatable(pa.DataFrameModel):
        value: str

        @pa.check("value")
        def short(cls, data):
            return data.table[data.key].length() < 5

    with pytest.raises(ValueError, match="check 'short' gives no pattern or allowed_values"):
        staging.contract_predicate(Untranslatable)
