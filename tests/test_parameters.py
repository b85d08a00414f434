"""warehouse/parameters.py binds every value as DuckDB's own Python conversion does (same text,
same type), without importing pandas, numpy or pyarrow."""

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest

from warehouse.parameters import execute, execute_many

VALUES = [
    None,
    True,
    False,
    0,
    -7,
    2**31,
    2**63 - 1,
    2**70,
    1.5,
    -0.0,
    1e-300,
    float("nan"),
    float("inf"),
    Decimal("123.450"),
    Decimal("-0.001"),
    Decimal("12345678901234567890.123456789"),
    "",
    "it's",
    "'; DROP TABLE t; --",
    "\\' OR 1=1",
    "$a ? :=",
    "Россия [bold]x[/] 中国 🇩🇪",
    "a\0b",
    "\0",
    date(2022, 3, 1),
    datetime(2026, 12, 2, 21, 4, 5, 123456),
    datetime(2026, 12, 2, 21, 4, 5, tzinfo=UTC),
    datetime(2026, 12, 2, 21, 4, 5, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    time(8, 30, 0, 5),
    timedelta(days=-1, seconds=5, microseconds=7),
    ["a", "it's", "b\0"],
    [1, 2, 3],
    [date(2022, 1, 1), None],
    [],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_binds_as_duckdbs_own_conversion_binds_it(value):
    con = duckdb.connect()
    query = "SELECT CAST({p} AS VARCHAR), typeof({p})"
    expected = con.execute(query.format(p="?"), [value, value]).fetchall()
    assert execute(con, query.format(p="$v"), {"v": value}).fetchall() == expected
    assert execute(con, query.format(p="?"), [value, value]).fetchall() == expected


def test_rows_are_inserted_and_the_statement_is_replaced_by_the_next():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER, name VARCHAR, seen_at TIMESTAMP)")
    rows = [(1, "it's", datetime(2026, 1, 1)), (2, None, None), (3, "x\0y", datetime(2026, 1, 2, 3))]
    execute_many(con, "INSERT INTO t VALUES (?, ?, ?)", rows)
    assert con.execute("SELECT * FROM t ORDER BY id").fetchall() == rows
    assert execute(con, "SELECT count(*) FROM t WHERE id > ?", [1]).fetchall() == [(2,)]
    assert execute(con, "SELECT name FROM t WHERE id = $id", {"id": 1}).fetchall() == [("it's",)]
    execute_many(con, "INSERT INTO t VALUES ($id, $name, NULL)", [{"id": 4, "name": "d"}, {"name": "e", "id": 5}])
    assert con.execute("SELECT id, name FROM t WHERE id > 3 ORDER BY id").fetchall() == [(4, "d"), (5, "e")]


def test_an_unknown_type_is_refused_with_its_name():
    with pytest.raises(TypeError, match="cannot bind a bytes"):
        execute(duckdb.connect(), "SELECT ?", [b"x"])


def test_binding_imports_neither_pandas_nor_numpy_nor_pyarrow():
    code = (
        "import sys, duckdb, datetime\n"
        "from warehouse.parameters import execute\n"
        "con = duckdb.connect()\n"
        "print(execute(con, 'SELECT $d, $s', {'d': datetime.date(2022, 3, 1), 's': ['x']}).fetchall())\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[(datetime.date(2022, 3, 1), ['x'])]", "[]"]
