"""The warehouse's SQL conventions (warehouse/README.md, Writing SQL here): text goes into a .sql
file only through render_sql's quoted slots, and every INSERT names its columns."""

import re
from pathlib import Path

import duckdb
import pytest

from warehouse.sql_files import SqlText, identifier, literal, render_sql

WAREHOUSE = Path(__file__).resolve().parents[1] / "warehouse"
# An INSERT whose target is followed by neither a column list nor BY NAME fills columns by position.
POSITIONAL_INSERT = re.compile(r"\bINSERT\s+INTO\s+[^\s(]+\s+(?!\(|BY\s+NAME\b)", re.IGNORECASE)


def positional_inserts(text: str) -> list[str]:
    return [match.group(0).strip() for match in POSITIONAL_INSERT.finditer(text)]


def test_every_insert_in_the_warehouse_names_its_columns():
    files = sorted(WAREHOUSE.rglob("*.sql")) + sorted(WAREHOUSE.rglob("*.py"))
    found = {path.relative_to(WAREHOUSE).as_posix(): hits for path in files if (hits := positional_inserts(path.read_text()))}
    assert found == {}


def test_the_insert_check_sees_positional_inserts():
    assert positional_inserts("INSERT INTO t VALUES (1);\ninsert into s.t\nSELECT 1") == ["INSERT INTO t", "insert into s.t"]
    assert (
        positional_inserts('INSERT INTO t (a) VALUES (1); INSERT INTO "t" BY NAME SELECT 1 AS a; INSERT INTO t(a) SELECT 1') == []
    )


def test_a_slot_takes_quoted_text_and_it_stays_one_identifier():
    database = identifier('odd " name; DROP TABLE x')
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH ':memory:' AS {database}")
        con.execute(f"CREATE TABLE {database}.main.schema_migrations (name VARCHAR)")
        con.execute(f"INSERT INTO {database}.main.schema_migrations (name) VALUES ({literal('it' + chr(39) + 's')})")
        assert con.execute(render_sql("copy/migrations", database=database)).fetchall() == [("it's",)]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("slots", "error", "message"),
    [
        ({"database": "main"}, TypeError, r"slots \['database'\] need SqlText"),
        ({}, ValueError, r"has slots \['database'\], given \[\]"),
        ({"database": identifier("main"), "schema": identifier("main")}, ValueError, r"given \['database', 'schema'\]"),
    ],
)
def test_a_plain_string_an_open_or_an_unknown_slot_is_refused(slots, error, message):
    with pytest.raises(error, match=message):
        render_sql("copy/migrations", **slots)


def test_sqltext_is_what_the_quoting_functions_return():
    assert isinstance(identifier("a"), SqlText) and isinstance(literal("a"), SqlText)
    assert literal("it's") == "'it''s'" and identifier('a"b') == '"a""b"'
