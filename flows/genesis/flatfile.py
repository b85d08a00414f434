"""Reading a GENESIS v5 flat file ("ffcsv"): unzip, check the layout, stage, validate.

The layout is found by column name and by variable code (STLAH, MONAT, DINSG), never by position:
the position of MONAT among the N_variable groups differs from table to table.
"""

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pandera.errors

from flows.errors import FlatFileError, ValidationFailed
from schemas.flat_file import flat_file_schema
from schemas.observations import Observations
from warehouse import staging

REQUIRED_COLUMNS = ("statistics_code", "time_code", "time", "value", "value_unit", "value_variable_code")
OLD_FORMAT_MARK = "Statistik_Code"
_GROUP = re.compile(r"^(\d+)_variable_code$")
_MAX_FAILURE_CASES = 1000


@dataclass(frozen=True)
class Layout:
    columns: list[str]
    country_column: str
    month_column: str
    quality_column: str | None


def extract_flat_csv(zip_path: Path, work_dir: Path, *, name: str, context: dict) -> Path:
    """Stream the single *.csv member to work_dir/<name>.csv (our name, never the server's)."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                listing = ", ".join(m.filename for m in members) or "nothing"
                raise FlatFileError(
                    f"the ZIP holds {len(members)} files ({listing}); a GENESIS flat file ZIP holds exactly one *_flat.csv",
                    **context,
                )
            if not members[0].filename.lower().endswith(".csv"):
                raise FlatFileError(f"the ZIP holds {members[0].filename!r}, not a *_flat.csv file", **context)
            target = work_dir / f"{name}.csv"
            work_dir.mkdir(parents=True, exist_ok=True)
            with archive.open(members[0]) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            return target
    except (zipfile.BadZipFile, EOFError, zlib_error()) as error:
        raise FlatFileError(f"the ZIP file is truncated or corrupt ({error})", **context) from None


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def read_layout(csv_path: Path, con: duckdb.DuckDBPyConnection, *, context: dict) -> Layout:
    with open(csv_path, "rb") as handle:
        first = handle.readline()
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise FlatFileError("the header is not UTF-8 (GENESIS v5 files are UTF-8 with BOM)", **context) from None
    if not header:
        raise FlatFileError("the file is empty (not even a header line)", **context)
    columns = header.split(";")
    if "" in columns:
        raise FlatFileError(f"the flat file header has an empty column name (column {columns.index('') + 1})", **context)
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise FlatFileError(f"the flat file header repeats column(s) {', '.join(duplicates)}", **context)
    if columns[0] == OLD_FORMAT_MARK:
        raise FlatFileError(
            "this is the old GENESIS format (wide, German headers, before late 2024); exportwatch reads only the v5 flat file",
            hint="Request format=ffcsv from the current API, or download the table again from GENESIS-Online.",
            **context,
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise FlatFileError(f"column(s) {', '.join(missing)} missing from the flat file header", **context)
    groups = sorted(int(m.group(1)) for c in columns if (m := _GROUP.match(c)))
    staging.read_flat_file(con, csv_path, columns)
    by_code: dict[str, int] = {}
    for group in groups:
        attribute = f"{group}_variable_attribute_code"
        if attribute not in columns:
            raise FlatFileError(f"column {attribute} missing from the flat file header", **context)
        codes = [c for c in staging.distinct_values(con, f"{group}_variable_code") if c is not None]
        if len(codes) > 1:
            raise FlatFileError(f"column {group}_variable_code mixes variables {sorted(codes)}", **context)
        if codes:
            by_code[codes[0]] = group
    if con.execute("SELECT count(*) FROM flat_file").fetchone()[0] == 0:
        raise FlatFileError("the flat file has a header but no rows", **context)
    unknown = sorted(set(by_code) - {"STLAH", "MONAT", "DINSG"})
    if unknown:
        raise FlatFileError(
            f"the flat file has variable(s) {', '.join(unknown)} besides STLAH and MONAT; "
            "exportwatch loads tables by country and month (e.g. 51000-0004)",
            **context,
        )
    for needed in ("STLAH", "MONAT"):
        if needed not in by_code:
            raise FlatFileError(f"the flat file has no {needed} variable; is this a monthly table by country?", **context)
    return Layout(
        columns=columns,
        country_column=f"{by_code['STLAH']}_variable_attribute_code",
        month_column=f"{by_code['MONAT']}_variable_attribute_code",
        quality_column="value_q" if "value_q" in columns else None,
    )


def stage_flat_file(
    csv_path: Path, parquet_path: Path, *, table_code: str, language: str, context: dict
) -> int:
    """Parse, validate and stage one flat file as Parquet. Returns the number of observations.

    Raises FlatFileError for an unreadable layout and ValidationFailed when rows break the contract.
    """
    con = duckdb.connect()
    try:
        try:
            layout = read_layout(csv_path, con, context=context)
            rows = staging.select_rows(
                con, country_column=layout.country_column, month_column=layout.month_column, quality_column=layout.quality_column
            )
            _validate(rows, flat_file_schema(language), "FlatFileRows", context)
            observations = staging.type_observations(con, table_code)
            _validate(observations, Observations.to_schema(), "Observations", context)
            return staging.write_batch(con, parquet_path)
        except duckdb.Error as error:
            text = str(error)
            if "unicode" in text.lower() or "utf-8" in text.lower():
                raise FlatFileError("the flat file is not valid UTF-8 (Latin-1 bytes?)", **context) from None
            if "CSV Error" in text:
                raise FlatFileError(f"the flat file does not parse as ';'-separated CSV: {text.splitlines()[0]}", **context) from None
            raise FlatFileError(f"the flat file could not be read ({type(error).__name__}: {text.splitlines()[0]})", **context) from None
    finally:
        con.close()


def _validate(frame: pd.DataFrame, schema: pandera.api.pandas.container.DataFrameSchema, name: str, context: dict) -> None:
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        counts = cases.groupby(["column", "check"], dropna=False).size().sort_values(ascending=False)
        summary = "; ".join(f"{col if isinstance(col, str) else 'row'} {check}: {n}" for (col, check), n in counts.head(6).items())
        examples = ", ".join(
            f"row {int(r['index']) if pd.notna(r['index']) else '?'} {r['column']}={r['failure_case']!r}"
            for _, r in cases.head(3).iterrows()
        )
        failure_cases = [
            {
                "schema_name": name,
                "check_name": str(r["check"]),
                "column_name": None if pd.isna(r["column"]) else str(r["column"]),
                "failure_case": None if pd.isna(r["failure_case"]) else str(r["failure_case"]),
                "row_index": None if pd.isna(r["index"]) else int(r["index"]),
            }
            for _, r in cases.head(_MAX_FAILURE_CASES).iterrows()
        ]
        raise ValidationFailed(
            f"{len(cases)} validation failure(s) in {name} ({summary}); e.g. {examples}; nothing was loaded, see table quality_issues",
            failure_cases,
            **context,
        ) from None
