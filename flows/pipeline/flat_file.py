"""Reading a GENESIS v5 flat file ("ffcsv"): unzip, check the layout, stage, validate.

The layout is found by column name and by variable code (DINSG, STLAH, MONAT and a goods
classification such as WAM4/WAM6/WAM8), never by position: the position of MONAT among the
N_variable groups differs from table to table. The file is read once, in a scratch DuckDB, into
typed codes and values, with the flat file contract (schemas.flat_file, as SQL) checked in the same
read and the Observations contract (schemas.observations, as SQL) on the typed rows. The SQL is
built from the pandera models (warehouse/contracts.py), so pandera with pandas and ibis is imported
only when a contract rejects rows: its ibis backend then reports them, in bounded chunks.
"""

import csv
import lzma
import os
import re
import shutil
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import duckdb

from flows.errors import FlatFileError, ValidationFailed
from flows.limits import DEFAULT_LIMITS, Limits, exceeded, human_size
from schemas.months import next_month
from warehouse import staging
from warehouse.results import scalar
from warehouse.sql_files import identifier

if TYPE_CHECKING:
    import pandas as pd
    import pandera.ibis

# The flat file contract of each language (schemas.flat_file.FLAT_FILE_ROWS) as one SQL predicate,
# checked inside the one read of the file.
FLAT_FILE_CONTRACT = {language: staging.contract(f"flat_file_rows_{language}") for language in ("de", "en")}

REQUIRED_COLUMNS = ("statistics_code", "time_code", "time", "value", "value_unit", "value_variable_code")
OLD_FORMAT_MARK = "Statistik_Code"
GOODS_VARIABLE = re.compile(r"^WA[A-Z0-9]*$")
_GROUP = re.compile(r"^(\d+)_variable_code$")
_MAX_FAILURE_CASES = 1000
VALIDATION_CHUNK_ROWS = 2_000_000
LAYOUT_SAMPLE_ROWS = 10_000


# What zipfile raises on a damaged archive (UnicodeDecodeError: it decodes a UTF-8-flagged name as
# it meets it, also a garbled one), and on one it cannot read (Deflate64, an encrypted member).
CORRUPT_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, UnicodeDecodeError)
UNREADABLE_ZIP_ERRORS = (NotImplementedError, RuntimeError)


@dataclass(frozen=True)
class Layout:
    header: list[str]
    country_column: str
    month_column: str
    goods_column: str | None
    goods_variable: str
    quality_column: str | None
    variable_codes: tuple[tuple[str, str | None], ...]  # (N_variable_code column, its variable or None)
    columns: tuple[str, ...]  # the columns read from the file


def extract_flat_csv(zip_path: Path, work_dir: Path, *, name: str, context: dict, limits: Limits = DEFAULT_LIMITS) -> Path:
    """Stream the single *.csv member to work_dir/<name>.csv (our name, never the server's), within
    the [limits] on its unpacked size and compression ratio; on any failure nothing stays behind."""
    target = work_dir / f"{name}.csv"
    chunks = member_chunks(zip_path, context=context, limits=limits)
    try:
        first = next(chunks, b"")  # the ZIP's checks run before anything is written
        work_dir.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            out.write(first)
            for chunk in chunks:
                out.write(chunk)
        return target
    except BaseException:
        chunks.close()
        target.unlink(missing_ok=True)
        raise


def member_chunks(zip_path: Path, *, context: dict, limits: Limits = DEFAULT_LIMITS) -> Iterator[bytes]:
    """The single *.csv member of a flat file ZIP, unpacked in chunks of up to 1 MiB, each checked
    against the [limits] (unpacked size, compression ratio, line length) before it is handed on.
    Everything wrong with the ZIP is a FlatFileError, also half-way through."""
    directory = zip_directory_bytes(zip_path)
    if directory is not None and directory > MAX_ZIP_DIRECTORY_BYTES:
        raise FlatFileError(
            f"the ZIP's table of contents takes {human_size(directory)}, room for thousands of files; "
            "a GENESIS flat file ZIP holds exactly one *_flat.csv",
            **context,
        )
    try:
        with zipfile.ZipFile(zip_path) as archive:
            # Not ZipInfo.is_dir(): it fails on an empty name (a name that starts with a NUL byte).
            members = [m for m in archive.infolist() if not m.filename.endswith("/")]
            if len(members) != 1:
                listing = ", ".join(m.filename[:60] for m in members[:LISTED_MEMBERS]) or "nothing"
                if len(members) > LISTED_MEMBERS:
                    listing += f" and {len(members) - LISTED_MEMBERS:,} more"
                raise FlatFileError(
                    f"the ZIP holds {len(members):,} files ({listing}); a GENESIS flat file ZIP holds exactly one *_flat.csv",
                    **context,
                )
            member = members[0]
            if not member.filename.lower().endswith(".csv"):
                raise FlatFileError(f"the ZIP holds {member.filename[:200]!r}, not a *_flat.csv file", **context)
            check_member_size(member, limits, context)
            lines = LineLengthGuard(limits.line_bytes, context)
            with archive.open(member) as source:
                unpacked = 0
                while chunk := source.read(1 << 20):
                    lines.feed(chunk)
                    unpacked += len(chunk)
                    if unpacked > limits.zip_member_bytes:  # zipfile stops at the declared size; this does not rely on it
                        what = "the flat file in the ZIP unpacks to more than it declares"
                        raise FlatFileError(exceeded(what, "zip_member_bytes", human_size(limits.zip_member_bytes)), **context)
                    yield chunk
            # zipfile checks the CRC but not the size: an entry claiming no data and the CRC of none
            # would pass as an empty file.
            if unpacked != member.file_size:
                raise zipfile.BadZipFile(f"its file should unpack to {member.file_size} bytes, it gave {unpacked}")
    except CORRUPT_ZIP_ERRORS as error:
        raise FlatFileError(f"the ZIP file is truncated or corrupt ({str(error)[:300]})", **context) from None
    except UNREADABLE_ZIP_ERRORS as error:
        raise FlatFileError(f"the ZIP uses a compression or encryption exportwatch cannot read ({error})", **context) from None
    except OSError as error:
        if error.filename:  # our own disk (not readable) names a file
            raise
        raise FlatFileError(f"the ZIP file is truncated or corrupt ({error})", **context) from None


class LineLengthGuard:
    """Stops a flat file with a line far beyond [limits] line_bytes while it streams by: DuckDB
    holds a line whole, and one longer than its read buffer (16 x max_line_size) it either refuses
    with an unrelated message or, at the end of the file, silently drops. Lines up to 1.5 x the
    limit can pass here; DuckDB's max_line_size names them. A few find() calls per chunk."""

    def __init__(self, line_bytes: int, context: dict) -> None:
        self.line_bytes = line_bytes
        self.context = context
        self.open_line = 0  # bytes since the last newline

    def feed(self, chunk: bytes) -> None:
        first = chunk.find(b"\n")
        if first == -1:
            self.open_line += len(chunk)
        else:
            last = chunk.rfind(b"\n")
            longest = self.open_line + first
            # A window of line_bytes without a newline, started every half limit, meets every line
            # longer than 1.5 x the limit between the first and the last newline of the chunk.
            for start in range(first + 1, last - self.line_bytes + 1, self.line_bytes // 2):
                if chunk.find(b"\n", start, start + self.line_bytes) == -1:
                    longest = self.line_bytes + 1
                    break
            self.open_line = len(chunk) - last - 1
            self._check(longest)
        self._check(self.open_line)

    def _check(self, length: int) -> None:
        if length > self.line_bytes:
            raise FlatFileError(
                exceeded("the flat file has a longer line", "line_bytes", human_size(self.line_bytes)), **self.context
            )


def check_line_lengths(csv_path: Path, line_bytes: int, context: dict) -> None:
    """A flat file that was not unpacked (so not checked on the way): one pass of LineLengthGuard."""
    lines = LineLengthGuard(line_bytes, context)
    with open(csv_path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines.feed(chunk)


LISTED_MEMBERS = 5
# zipfile reads a ZIP's whole table of contents into memory, about six times its size, before a
# member can be counted (a 27 MB one of 300,000 empty files: 178 MB and half a minute). GENESIS'
# holds one file in about 100 bytes.
MAX_ZIP_DIRECTORY_BYTES = 1 << 20
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END_OF_DIRECTORY = b"PK\x06\x06"


def zip_directory_bytes(zip_path: Path) -> int | None:
    """The size of the ZIP's table of contents, from the end record zipfile reads it by (ZIP64 too);
    None where there is no end record (zipfile names the damage then)."""
    with open(zip_path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(size - (22 + 0xFFFF), 0))  # the end record and its longest comment
        tail = handle.read()
        at = tail.rfind(_END_OF_DIRECTORY)
        if at < 0 or len(tail) - at < 22:
            return None
        directory = struct.unpack_from("<I", tail, at + 12)[0]
        if directory == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR:
            handle.seek(struct.unpack_from("<Q", tail, at - 12)[0])
            record = handle.read(56)
            if len(record) == 56 and record.startswith(_ZIP64_END_OF_DIRECTORY):
                directory = struct.unpack_from("<Q", record, 40)[0]
        return directory


# GENESIS packs with Deflate. zipfile unpacks Deflate in bounded steps, but bzip2 and LZMA a whole
# read at once, which a crafted member turns into gigabytes of memory before any size check.
READABLE_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "Deflate"}


def check_member_size(member: zipfile.ZipInfo, limits: Limits, context: dict) -> None:
    """Refuse a member before unpacking it: a compression exportwatch does not unpack in bounded
    memory, more than zip_member_bytes, or a ratio beyond zip_ratio (a ZIP bomb)."""
    if member.compress_type not in READABLE_COMPRESSION:
        raise FlatFileError(
            f"the ZIP uses compression method {member.compress_type}; exportwatch reads only stored and Deflate members, as GENESIS sends",
            **context,
        )
    if member.file_size > limits.zip_member_bytes:
        what = f"the flat file in the ZIP unpacks to {human_size(member.file_size)}"
        raise FlatFileError(exceeded(what, "zip_member_bytes", human_size(limits.zip_member_bytes)), **context)
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > 1 << 20 and ratio > limits.zip_ratio:  # a tiny file may compress any way it likes
        what = (
            f"the flat file in the ZIP unpacks {ratio:,.0f} times its packed size ({human_size(member.file_size)}; a ZIP bomb?)"
        )
        raise FlatFileError(exceeded(what, "zip_ratio", f"{limits.zip_ratio:g}"), **context)


UTF8_PROBE_BYTES = 1 << 20


def read_header(csv_path: Path, *, context: dict, line_bytes: int = DEFAULT_LIMITS.line_bytes) -> list[str]:
    with open(csv_path, "rb") as handle:
        first = handle.readline(line_bytes + 1)  # never a whole line of unknown length in memory
        if len(first) > line_bytes:
            raise FlatFileError(
                exceeded("the flat file's header line is longer", "line_bytes", human_size(line_bytes)), **context
            )
        probe = handle.read(UTF8_PROBE_BYTES)
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise FlatFileError("the header is not UTF-8 (GENESIS v5 files are UTF-8 with BOM)", **context) from None
    try:
        # The labels (Außenhandel, Länderverzeichnis, ...) put non-ASCII bytes in the first rows, so
        # a Latin-1 file shows here; the labels are not read further on.
        probe.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(probe) - 4:  # not just a character cut at the end of the probe
            raise FlatFileError(
                f"the flat file is not valid UTF-8 (Latin-1 bytes?) at byte {len(first) + error.start}", **context
            ) from None
    if not header:
        raise FlatFileError("the file is empty (not even a header line)", **context)
    try:  # names may be quoted, as DuckDB reads them
        columns = next(csv.reader([header], delimiter=";", quotechar='"', strict=True))
    except csv.Error as error:
        raise FlatFileError(f"the flat file header does not parse ({error})", **context) from None
    if columns[0] == OLD_FORMAT_MARK:
        raise FlatFileError(
            "this is the old GENESIS format (wide, German headers, before late 2024); exportwatch reads only the v5 flat file",
            hint="Request format=ffcsv from the current API, or download the table again from GENESIS-Online.",
            **context,
        )
    with_nul = next((i for i, c in enumerate(columns) if "\0" in c), None)
    if with_nul is not None:
        name = columns[with_nul][:100]
        raise FlatFileError(f"the flat file header has a NUL byte in a column name (column {with_nul + 1}: {name!r})", **context)
    if "" in columns:
        raise FlatFileError(f"the flat file header has an empty column name (column {columns.index('') + 1})", **context)
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise FlatFileError(f"the flat file header repeats column(s) {', '.join(duplicates)}", **context)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise FlatFileError(f"column(s) {', '.join(missing)} missing from the flat file header", **context)
    return columns


def read_layout(
    csv_path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    context: dict,
    sample_rows: int | None = None,
    line_bytes: int = DEFAULT_LIMITS.line_bytes,
) -> Layout:
    """Define the file in the scratch database and find its dimension columns by variable code.

    The codes are read from the first `sample_rows` rows (None: all rows); staging checks every
    row against them in its one read, and reads them from all rows when any differ."""
    header = read_header(csv_path, context=context, line_bytes=line_bytes)
    groups = sorted(int(m.group(1)) for c in header if (m := _GROUP.match(c)))
    for group in groups:
        if f"{group}_variable_attribute_code" not in header:
            raise FlatFileError(f"column {group}_variable_attribute_code missing from the flat file header", **context)
    group_columns = [c for g in groups for c in (f"{g}_variable_code", f"{g}_variable_attribute_code")]
    quality = "value_q" if "value_q" in header else None
    keep = [*REQUIRED_COLUMNS, *group_columns, *([quality] if quality else [])]
    staging.define_flat_file(con, csv_path, header, keep, line_bytes)
    if not staging.has_rows(con):
        raise FlatFileError("the flat file has a header but no rows", **context)
    found = staging.distinct_codes(con, [f"{g}_variable_code" for g in groups], sample_rows)
    by_code: dict[str, int] = {}
    for group in groups:
        codes = found[f"{group}_variable_code"]
        if len(codes) > 1:
            raise FlatFileError(f"column {group}_variable_code mixes variables {codes}", **context)
        if codes:
            by_code[codes[0]] = group
    goods = sorted(code for code in by_code if GOODS_VARIABLE.match(code))
    unknown = sorted(set(by_code) - {"STLAH", "MONAT", "DINSG", *goods})
    if unknown or len(goods) > 1:
        raise FlatFileError(
            f"the flat file has variable(s) {', '.join(unknown or goods)} besides STLAH, MONAT and one goods classification; "
            "exportwatch loads monthly 51000 tables by country (and goods)",
            **context,
        )
    for needed in ("STLAH", "MONAT"):
        if needed not in by_code:
            raise FlatFileError(f"the flat file has no {needed} variable; is this a monthly table by country?", **context)
    return Layout(
        header=header,
        country_column=f"{by_code['STLAH']}_variable_attribute_code",
        month_column=f"{by_code['MONAT']}_variable_attribute_code",
        goods_column=f"{by_code[goods[0]]}_variable_attribute_code" if goods else None,
        goods_variable=goods[0] if goods else "",
        quality_column=quality,
        variable_codes=tuple((column, codes[0] if codes else None) for column, codes in found.items()),
        columns=tuple(keep),
    )


def stage_flat_file(
    csv_path: Path,
    parquet_path: Path,
    *,
    table_code: str,
    language: str,
    context: dict,
    memory_limit: str = "700MB",
    line_bytes: int = DEFAULT_LIMITS.line_bytes,
    goods_variable: str = "",
    years: tuple[int, int] | None = None,
    in_memory: bool = False,
    threads: int | None = None,
) -> int:
    """Parse, validate and stage one flat file as Parquet. Returns the number of observations.
    With `goods_variable` (e.g. WAM6, as configured) the goods keys must come in that variable;
    with `years` (first, last: what a request asked for) every value must be of those years;
    `in_memory` (for a small file) keeps the scratch database in memory; `threads` (None: DuckDB's
    default, all cores) is this staging's share of the machine.

    Raises FlatFileError for an unreadable layout and ValidationFailed when rows break the contract.
    """
    with scratch_database(parquet_path, memory_limit, line_bytes, context, in_memory=in_memory, threads=threads) as con:
        try:
            layout = read_layout(csv_path, con, context=context, sample_rows=LAYOUT_SAMPLE_ROWS, line_bytes=line_bytes)
        except FlatFileError:  # maybe only the first rows lack a variable: the whole file decides
            layout = read_layout(csv_path, con, context=context, sample_rows=None, line_bytes=line_bytes)
        while rejects := type_observations(con, layout, language):
            whole_file = read_layout(csv_path, con, context=context, sample_rows=None, line_bytes=line_bytes)
            if whole_file == layout:
                report_contract_failures(con, language, rejects, context)
            layout = whole_file  # the first rows did not show every variable: stage again by the whole file's
        return write_checked_batch(
            con, layout, parquet_path, table_code=table_code, goods_variable=goods_variable, years=years, context=context
        )


# The scratch connection each thread stages with: a run that stops interrupts DuckDB in its staging
# threads (a query running outside the main thread does not see Ctrl-C).
_scratch_of_thread: dict[int, duckdb.DuckDBPyConnection] = {}


def interrupt_staging(thread_ids: Iterable[int]) -> None:
    """Stop the DuckDB query of each of these threads' scratch databases, if one is running."""
    for ident in thread_ids:
        con = _scratch_of_thread.get(ident)
        if con is not None:
            try:
                con.interrupt()
            except duckdb.Error:
                pass  # closed meanwhile: nothing left to stop


@contextmanager
def scratch_database(
    parquet_path: Path,
    memory_limit: str,
    line_bytes: int,
    context: dict,
    *,
    in_memory: bool = False,
    threads: int | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The scratch DuckDB beside the batch (or in memory), removed afterwards; DuckDB's errors about
    the file become FlatFileErrors that say what is wrong with it."""
    scratch = parquet_path.with_suffix(".staging.duckdb")
    con = staging.open_scratch(scratch, memory_limit, in_memory=in_memory, threads=threads)
    _scratch_of_thread[threading.get_ident()] = con
    try:
        yield con
    except duckdb.Error as error:
        text = str(error)
        if "unicode" in text.lower() or "utf-8" in text.lower():
            raise FlatFileError("the flat file is not valid UTF-8 (Latin-1 bytes?)", **context) from None
        if "maximum line size" in text.lower():
            raise FlatFileError(
                exceeded("the flat file has a longer line", "line_bytes", human_size(line_bytes)), **context
            ) from None
        if "CSV Error" in text:
            raise FlatFileError(f"the flat file does not parse as ';'-separated CSV: {text.splitlines()[0]}", **context) from None
        raise FlatFileError(
            f"the flat file could not be read ({type(error).__name__}: {text.splitlines()[0]})", **context
        ) from None
    finally:
        del _scratch_of_thread[threading.get_ident()]
        con.close()
        scratch.unlink(missing_ok=True)
        shutil.rmtree(str(scratch) + ".tmp", ignore_errors=True)


def write_checked_batch(
    con: duckdb.DuckDBPyConnection,
    layout: Layout,
    parquet_path: Path,
    *,
    table_code: str,
    goods_variable: str,
    context: dict,
    years: tuple[int, int] | None = None,
) -> int:
    """The typed rows, once the contract held: goods variable, years asked for, duplicate keys and
    the Observations contract checked, written as the Parquet batch. Returns the number of observations."""
    if goods_variable and layout.goods_variable != goods_variable:
        found = f"goods variable {layout.goods_variable}" if layout.goods_variable else "no goods variable"
        raise FlatFileError(
            f"the flat file has {found}, but the configuration names {goods_variable}: "
            f"set goods_variable to the table's goods classification (exportwatch check lists it)",
            **context,
        )
    if years:
        reject_other_years(con, years, context)
    reject_duplicates(con, context)
    staging.define_batch(con, table_code, layout.goods_variable)
    if rejects := staging.observations_rejects(con, next_month()):
        report_observation_failures(con, rejects, context)
    return staging.write_batch(con, parquet_path)


def type_observations(con: duckdb.DuckDBPyConnection, layout: Layout, language: str) -> int:
    """The one read of the file into typed observations; returns the rows that break the contract."""
    staging.define_rows(
        con,
        country_column=layout.country_column,
        goods_column=layout.goods_column,
        month_column=layout.month_column,
        quality_column=layout.quality_column,
        variable_codes=dict(layout.variable_codes),
    )
    return staging.type_observations(con, FLAT_FILE_CONTRACT[language])


def report_contract_failures(con: duckdb.DuckDBPyConnection, language: str, rejects: int, context: dict) -> NoReturn:
    """pandera, the validator of record, names the rows the contract rejected (from the text)."""
    from schemas.flat_file import FLAT_FILE_ROWS

    staging.index_text_rows(con)
    validate_in_chunks(con, "flat_file_rows_indexed", FLAT_FILE_ROWS[language], "FlatFileRows", context)
    raise FlatFileError(
        f"{rejects} row(s) break the flat file contract in SQL but pass pandera's FlatFileRows; "
        "the two disagree (a bug in exportwatch: please report it with the archived file)",
        **context,
    )


def report_observation_failures(con: duckdb.DuckDBPyConnection, rejects: int, context: dict) -> NoReturn:
    """pandera, the validator of record, names the typed rows the Observations contract rejected."""
    from schemas.observations import Observations

    validate_in_chunks(con, "staged_flat_observations_check", Observations, "Observations", context)
    raise FlatFileError(
        f"{rejects} row(s) break the Observations contract in SQL but pass pandera's Observations; "
        "the two disagree (a bug in exportwatch: please report it with the archived file)",
        **context,
    )


def validate_in_chunks(
    con: duckdb.DuckDBPyConnection, table: str, model: "type[pandera.ibis.DataFrameModel]", name: str, context: dict
) -> None:
    """pandera on the staging table, in row-index ranges so failure cases stay bounded."""
    import ibis
    import pandera.errors

    rows = ibis.duckdb.from_connection(con).table(table)
    total = scalar(con, f"SELECT count(*) FROM {identifier(table)}")
    for start in range(0, total, VALIDATION_CHUNK_ROWS):
        chunk = rows.filter((rows.row_index >= start) & (rows.row_index < start + VALIDATION_CHUNK_ROWS))
        try:
            model.validate(chunk, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            raise validation_failed(failure_rows(errors.failure_cases, name), name, context) from None


def reject_other_years(con: duckdb.DuckDBPyConnection, years: tuple[int, int], context: dict) -> None:
    """An answer with values of years the request did not ask for is not the answer to it: loaded,
    it would mark the years asked for as fetched while their values may be missing."""
    outside, first, last = staging.years_outside(con, *years)
    if outside:
        found = str(first) if first == last else f"{first}-{last}"
        asked = str(years[0]) if years[0] == years[1] else f"{years[0]}-{years[1]}"
        raise FlatFileError(
            f"GENESIS answered with {outside:,} value(s) of {found}, outside the years asked for ({asked}); "
            "the answer is not the one requested",
            hint="Run the update again later; if it persists, report it to GENESIS with the archived answer.",
            **context,
        )


def reject_duplicates(con: duckdb.DuckDBPyConnection, context: dict) -> None:
    duplicates = staging.duplicate_keys(con)
    if duplicates:
        cases = [
            {
                "schema_name": "FlatFileRows",
                "check_name": "duplicate key (country, goods, year, month, measure)",
                "column_name": None,
                "failure_case": f"{country} {goods} {year} {month} {measure} ×{times}".replace("  ", " "),
                "row_index": int(row_index),
            }
            for row_index, country, goods, year, month, measure, times in duplicates
        ]
        raise validation_failed(cases, "FlatFileRows", context)


def failure_rows(cases: "pd.DataFrame", name: str) -> list[dict]:
    """pandera.ibis failure cases as plain rows: the failing column and value, not a dict."""
    rows = []
    for _, case in cases.head(_MAX_FAILURE_CASES).iterrows():
        value = case["failure_case"]
        column = None if _missing(case["column"]) or case["column"] == "failure_case" else str(case["column"])
        if isinstance(value, dict):
            if len(value) == 1:
                column, value = next(iter(value.items()))
            else:
                value = {k: v for k, v in value.items() if k != "row_index"}
        rows.append(
            {
                "schema_name": name,
                "check_name": str(case["check"]),
                "column_name": column,
                "failure_case": None if _missing(value) else str(value),
                "row_index": None if _missing(case["index"]) else int(case["index"]),
            }
        )
    return rows


def _missing(value: object) -> bool:
    """None or NaN; anything else (a dict, a list, an array) is a value."""
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def validation_failed(cases: list[dict], name: str, context: dict) -> ValidationFailed:
    counts: dict[tuple, int] = {}
    for case in cases:
        key = (case["column_name"] or "row", case["check_name"])
        counts[key] = counts.get(key, 0) + 1
    summary = "; ".join(f"{column} {check}: {n}" for (column, check), n in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
    examples = ", ".join(f"row {c['row_index']} {c['column_name'] or ''}={c['failure_case']!r}" for c in cases[:3])
    return ValidationFailed(
        f"{len(cases)} validation failure(s) in {name} ({summary}); e.g. {examples}; nothing was loaded, see table quality_issues",
        cases,
        **context,
    )
