"""The measured cases other than `exportwatch load` itself, one per process so that the peak RSS
(ru_maxrss, read by benchmarks.run through wait4) is that case's alone. Each prints one JSON line.

    python -m benchmarks.cases duckdb-ref FILE.csv DB       # DuckDB parse only, then read_csv straight into a table
    python -m benchmarks.cases duckdb-parse FILE.csv        # DuckDB parse only (no table)
    python -m benchmarks.cases pandas FILE.csv DB           # pandas read_csv -> pivot wide -> DuckDB
    python -m benchmarks.cases ew-stage FILE.csv            # exportwatch's parse + layout check only
"""

import json
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

NA_VALUES = ["-", ".", "...", "/", "x"]  # the GENESIS symbols for "no number"
ATTRIBUTE_CODE = re.compile(r"^\d+_variable_attribute_code$")


def header_of(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig") as handle:
        return handle.readline().rstrip("\r\n").split(";")


def duckdb_reference(csv_path: Path, db: Path) -> dict:
    """The reference: every column, DuckDB's own type detection, into a table in a database file."""
    import duckdb

    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, delim = ';', header = true)", [str(csv_path)])
    rows, columns = con.execute(
        "SELECT count(*), (SELECT count(*) FROM duckdb_columns() WHERE table_name = 't') FROM t"
    ).fetchone()
    con.close()
    db.unlink(missing_ok=True)
    return {"rows": rows, "columns": columns}


def duckdb_parse(csv_path: Path) -> dict:
    """Parse only: every line tokenized, nothing stored."""
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        "SELECT count(*) FROM read_csv(?, delim = ';', header = true, all_varchar = true)", [str(csv_path)]
    ).fetchone()[0]
    return {"rows": rows}


def pandas_path(csv_path: Path, db: Path) -> dict:
    """What a client script typically does: pandas read_csv with the GENESIS symbols as NA and the
    decimal comma, codes as text, pivot long -> wide (one column per measure), insert into DuckDB."""
    import duckdb
    import pandas as pd

    columns = header_of(csv_path)
    df = pd.read_csv(
        csv_path,
        sep=";",
        encoding="utf-8-sig",
        na_values=NA_VALUES,
        decimal=",",
        dtype={c: str for c in columns if c != "value"},
    )
    index = ["time", *(c for c in columns if ATTRIBUTE_CODE.match(c))]
    wide = df.set_index([*index, "value_variable_code"])["value"].unstack("value_variable_code").reset_index()
    wide.columns.name = None
    long_rows = len(df)
    del df
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.register("wide", wide)
    con.execute("CREATE TABLE t AS SELECT * FROM wide")
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    db.unlink(missing_ok=True)
    return {"rows_long": long_rows, "rows_wide": rows, "columns_wide": len(wide.columns)}


def exportwatch_stage(csv_path: Path) -> dict:
    """exportwatch's parse step on its own: read the file into a scratch DuckDB the way staging does
    and check the layout (for a file exportwatch rejects, this is all it does before saying so)."""
    from flows.errors import FlatFileError
    from flows.pipeline.flat_file import read_layout
    from warehouse import staging

    with tempfile.TemporaryDirectory(dir=csv_path.parent) as scratch_dir:
        con = staging.open_scratch(Path(scratch_dir) / "scratch.duckdb", "1GB")
        try:
            try:
                read_layout(csv_path, con, context={})
                verdict = "layout accepted"
            except FlatFileError as error:
                verdict = f"rejected: {str(error).splitlines()[0][:160]}"
            rows = con.execute("SELECT count(*) FROM flat_file").fetchone()[0]
        finally:
            con.close()
    return {"rows": rows, "verdict": verdict}


def main(argv: list[str]) -> None:
    case, *args = argv
    import duckdb  # noqa: F401  (imports are not part of the measured time)

    if case == "pandas":
        import pandas  # noqa: F401
    if case == "ew-stage":
        import flows.pipeline.flat_file  # noqa: F401
    started = time.perf_counter()
    if case == "duckdb-ref":
        # Parse-only first (little memory, so the peak RSS stays the reference's), one process less.
        parse_s = time.perf_counter()
        duckdb_parse(Path(args[0]))
        parse_s = time.perf_counter() - parse_s
        started = time.perf_counter()
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        result = duckdb_reference(Path(args[0]), Path(args[1]))
        after = resource.getrusage(resource.RUSAGE_SELF)
        result["cpu_seconds"] = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        result["parse_seconds"] = parse_s
    elif case == "duckdb-parse":
        result = duckdb_parse(Path(args[0]))
    elif case == "pandas":
        result = pandas_path(Path(args[0]), Path(args[1]))
    elif case == "ew-stage":
        result = exportwatch_stage(Path(args[0]))
    else:
        raise SystemExit(f"unknown case {case!r}")
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
