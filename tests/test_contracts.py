"""The contract SQL that staging runs (warehouse/staging/contracts/) is the pandera models' own
checks: a model changed without `python -m warehouse.contracts` fails here."""

import pytest

from warehouse import contracts


@pytest.mark.parametrize("name", sorted(contracts.models()))
def test_the_contract_sql_is_generated_from_its_model(name):
    written = (contracts.FOLDER / f"{name}.sql").read_text(encoding="utf-8")
    assert written == contracts.text(name, contracts.models()[name]), "run python -m warehouse.contracts"
