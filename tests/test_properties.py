"""Property-based tests: mutated GENESIS v5 flat files never crash the parser and never load a partial batch.

The mutations start from real files (the recorded 51000-0010 answers in tests/fixtures/genesis-recordings,
reshaped to the 51000-0004 layout) and from files the fake server renders from the project's own
fixtures. A mutation works on the delivered
bytes (BOM included), so the same mutation can be replayed on any file, including one the fake
server renders for a request (Fault.csv_transform with encoding="latin-1" delivers bytes exactly).

Properties:
1. stage_flat_file either returns a row count whose Parquet rows pass the Observations contract
   (value NULL exactly for the no-value symbols, values >= 0, valid months, no row lost), or
   raises FlatFileError / ValidationFailed naming the table and leaves no Parquet behind.
2. run_update after a good load either succeeds and loads the whole delivered batch, or raises
   the project's own error and leaves the data tables exactly as they were.
3. Harmless changes (CRLF, no BOM, columns moved, rows reordered, quoted fields, extra columns)
   stage the same rows.
4. A damaged ZIP yields the member's exact bytes (its CRC holds) or FlatFileError.

Bugs the properties found (now fixed) are pinned by regression tests at the end.

All properties run derandomized (fixed seed, no example database), so CI is reproducible.
"""

import csv
import io
import itertools
import random
import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from flows.demo.genesis_server import GenesisState, flat_file
from flows.errors import ExportwatchError, FlatFileError, ValidationFailed
from flows.pipeline.flat_file import extract_flat_csv, stage_flat_file
from flows.pipeline.run import run_update
from schemas.measures import EARLIEST_MONTH, MEASURES, NO_VALUE_SYMBOLS, SYMBOLS
from schemas.observations import Observations
from tests.fake_genesis import Fault
from tests.support import KG, RU, TABLE, make_observations, query, recording, snapshot
from warehouse.results import fetch_records

CONTEXT = dict(table=TABLE, request="data/tablefile name=51000-0004 (property test)", archived="raw/pr/property.zip")
BOM = b"\xef\xbb\xbf"
BASE = ["statistics_code", "statistics_label", "time_code", "time_label", "time"]

PARSER_EXAMPLES = 100  # per source (generated, real recording)
PIPELINE_EXAMPLES = 25  # each one is HTTP + two DuckDB files
HARMLESS_EXAMPLES = 40


def reproducible(max_examples: int):
    """Fixed seed and no example database: CI sees the same examples on every run."""
    return hypothesis_settings(max_examples=max_examples, deadline=None, derandomize=True, database=None, print_blob=False)


# -- the files the mutations start from ------------------------------------------------------------


@cache
def generated_file(language: str) -> bytes:
    """The fake server's 51000-0004 file for the project's fixture table, plus every GENESIS symbol."""
    rows = make_observations(years=range(2024, 2027))
    symbols = itertools.cycle(sorted(SYMBOLS))
    for i in range(0, len(rows), 9):  # a symbol in every ninth row: '-' is 0, the others NULL
        rows[i].value = next(symbols)
    state = GenesisState(tokens=set(), users={})
    return flat_file(state, TABLE, rows, language).encode("utf-8-sig")


def recorded_as_51000_0004(language: str) -> bytes:
    """The real 51000-0010 answer with its WAM4 (commodity) group replaced by a MONAT01 group."""
    body = "001-data-tablefile.zip" if language == "de" else "003-data-tablefile.zip"
    with zipfile.ZipFile(recording("51000-0010", body)) as archive:
        (member,) = archive.infolist()
        text = archive.read(member).decode("utf-8-sig")
    lines = text.splitlines()
    header, rows = lines[0].split(";"), [line.split(";") for line in lines[1:] if line]
    tail = len(BASE) + 4 * 3
    month_label = "Januar" if language == "de" else "January"
    out = []
    for fields in rows:
        groups = [fields[len(BASE) + 4 * i : len(BASE) + 4 * (i + 1)] for i in range(3)]
        groups = [g for g in groups if g[0] != "WAM4"] + [["MONAT", "Monate", "MONAT01", month_label]]
        assert [g[0] for g in groups] == ["DINSG", "STLAH", "MONAT"]
        out.append(fields[: len(BASE)] + [f for g in groups for f in g] + fields[tail:])
    # the header keeps its names: group 3 (3_variable_code ...) is now MONAT instead of WAM4
    return ("\n".join(";".join(r) for r in [header, *out]) + "\n").encode("utf-8-sig")


class Sources(dict):
    """Source files by name; a short repr keeps Hypothesis's failure reports readable."""

    def __repr__(self) -> str:
        return f"<{', '.join(f'{k}: {len(v)} bytes' for k, v in self.items())}>"


def sample_of(data: bytes, every: int = 6) -> bytes:
    """Every n-th country of a recorded file (Russia always): real rows, a fraction of the staging time."""
    f = Lines.of(data)
    header, rows = f.table()
    i = header.index(b"2_variable_attribute_code")
    countries = sorted({r[i] for r in rows})
    keep = set(countries[::every]) | {RU.encode()}
    f.lines = f.lines[:1] + [line for line, r in zip(f.lines[1:], rows) if r[i] in keep]
    return f.bytes()


@pytest.fixture(scope="module")
def recorded_files() -> Sources:
    return Sources({language: recorded_as_51000_0004(language) for language in ("de", "en")})


@pytest.fixture(scope="module")
def recorded_samples(recorded_files) -> Sources:
    return Sources({language: sample_of(data) for language, data in recorded_files.items()})


# -- mutations on bytes ------------------------------------------------------------------------------


@dataclass
class Lines:
    bom: bool
    eol: bytes
    lines: list[bytes]
    final_eol: bool

    @classmethod
    def of(cls, data: bytes) -> "Lines":
        bom = data.startswith(BOM)
        body = data[len(BOM) :] if bom else data
        eol = b"\r\n" if b"\r\n" in body else b"\n"
        final_eol = body.endswith(eol)
        lines = body.split(eol)
        if final_eol:
            lines = lines[:-1]
        return cls(bom, eol, lines, final_eol)

    def bytes(self) -> bytes:
        return (BOM if self.bom else b"") + self.eol.join(self.lines) + (self.eol if self.final_eol and self.lines else b"")

    def table(self) -> tuple[list[bytes], list[list[bytes]]]:
        return self.lines[0].split(b";"), [line.split(b";") for line in self.lines[1:]]

    def set_table(self, header: list[bytes], rows: list[list[bytes]]) -> bytes:
        self.lines = [b";".join(header)] + [b";".join(r) for r in rows]
        return self.bytes()


def _column(header: list[bytes], column: str | int) -> int:
    """A column by name when the header has it, else by position (modulo the width)."""
    if isinstance(column, str):
        name = column.encode()
        return header.index(name) if name in header else 0
    return column % len(header)


def set_field(data: bytes, column: str | int, row: int, value: bytes) -> bytes:
    f = Lines.of(data)
    header, rows = f.table()
    if not rows:
        return data
    fields = rows[row % len(rows)]
    fields[_column(header, column) % len(fields)] = value
    return f.set_table(header, rows)


def set_column(data: bytes, column: str | int, value: bytes) -> bytes:
    """The same value in every row (e.g. a variable code MONAT -> MONATX throughout)."""
    f = Lines.of(data)
    header, rows = f.table()
    i = _column(header, column)
    for fields in rows:
        if i < len(fields):
            fields[i] = value
    return f.set_table(header, rows)


def drop_column(data: bytes, column: str | int) -> bytes:
    f = Lines.of(data)
    header, rows = f.table()
    i = _column(header, column)
    return f.set_table(header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows])


def duplicate_column(data: bytes, column: str | int) -> bytes:
    f = Lines.of(data)
    header, rows = f.table()
    i = _column(header, column)
    return f.set_table(header[: i + 1] + header[i:], [r[: i + 1] + r[i:] for r in rows])


def swap_columns(data: bytes, first: str | int, second: str | int, header_too: bool) -> bytes:
    """Swap two columns; without header_too only the data moves (the header then mislabels them)."""
    f = Lines.of(data)
    header, rows = f.table()
    i, j = _column(header, first), _column(header, second)
    for fields in [header] * header_too + rows:
        if i < len(fields) and j < len(fields):
            fields[i], fields[j] = fields[j], fields[i]
    return f.set_table(header, rows)


def rename_column(data: bytes, column: str | int, name: bytes) -> bytes:
    f = Lines.of(data)
    header, rows = f.table()
    header[_column(header, column)] = name
    return f.set_table(header, rows)


def delete_rows(data: bytes, start: int, count: int) -> bytes:
    f = Lines.of(data)
    if len(f.lines) > 1:
        first = 1 + start % (len(f.lines) - 1)
        del f.lines[first : first + count]
    return f.bytes()


def duplicate_row(data: bytes, row: int, at: int) -> bytes:
    f = Lines.of(data)
    if len(f.lines) > 1:
        f.lines.insert(1 + at % len(f.lines), f.lines[1 + row % (len(f.lines) - 1)])
    return f.bytes()


def truncate(data: bytes, at: int) -> bytes:
    return data[: at % (len(data) + 1)]


def insert_bytes(data: bytes, at: int, payload: bytes) -> bytes:
    i = at % (len(data) + 1)
    return data[:i] + payload + data[i:]


def crlf(data: bytes) -> bytes:
    f = Lines.of(data)
    f.eol = b"\r\n"
    return f.bytes()


def cr_only(data: bytes) -> bytes:
    f = Lines.of(data)
    f.eol = b"\r"
    return f.bytes()


def remove_bom(data: bytes) -> bytes:
    return data[len(BOM) :] if data.startswith(BOM) else data


def double_bom(data: bytes) -> bytes:
    return BOM + data


def latin1(data: bytes) -> bytes:
    """The whole file re-encoded as Latin-1 (what a misconfigured export would deliver)."""
    return data.decode("utf-8", errors="replace").encode("latin-1", errors="replace")


def empty(data: bytes) -> bytes:
    return b""


def header_only(data: bytes) -> bytes:
    f = Lines.of(data)
    f.lines = f.lines[:1]
    return f.bytes()


def shuffle_rows(data: bytes, seed: int) -> bytes:
    f = Lines.of(data)
    body = f.lines[1:]
    random.Random(seed).shuffle(body)
    f.lines = f.lines[:1] + body
    return f.bytes()


def quote_fields(data: bytes, column: str | int, header_too: bool = False) -> bytes:
    """Put one column in double quotes in every data line, and in the header with header_too (legal CSV)."""
    f = Lines.of(data)
    header, rows = f.table()
    i = _column(header, column)
    for fields in [header] * header_too + rows:
        if i < len(fields) and b'"' not in fields[i]:
            fields[i] = b'"' + fields[i] + b'"'
    return f.set_table(header, rows)


def add_column(data: bytes, at: int, name: bytes, value: bytes) -> bytes:
    f = Lines.of(data)
    header, rows = f.table()
    if name in header:
        return data
    i = at % (len(header) + 1)
    return f.set_table(header[:i] + [name] + header[i:], [r[:i] + [value] + r[i:] for r in rows])


MUTATORS = {
    fn.__name__: fn
    for fn in (
        set_field,
        set_column,
        drop_column,
        duplicate_column,
        swap_columns,
        rename_column,
        delete_rows,
        duplicate_row,
        truncate,
        insert_bytes,
        crlf,
        cr_only,
        remove_bom,
        double_bom,
        latin1,
        empty,
        header_only,
        shuffle_rows,
        quote_fields,
        add_column,
    )
}


@dataclass(frozen=True)
class Mutation:
    kind: str
    args: tuple = ()

    def __call__(self, data: bytes) -> bytes:
        return MUTATORS[self.kind](data, *self.args)

    def __repr__(self) -> str:
        return f"{self.kind}{self.args!r}" if self.args else self.kind


def apply_all(mutations: list[Mutation], data: bytes) -> bytes:
    for mutation in mutations:
        data = mutation(data)
    return data


# -- strategies ----------------------------------------------------------------------------------------

KEY_COLUMNS = [
    "statistics_code",
    "time_code",
    "time",
    "value",
    "value_unit",
    "value_variable_code",
    "value_q",
    "1_variable_code",
    "1_variable_attribute_code",
    "2_variable_code",
    "2_variable_attribute_code",
    "3_variable_code",
    "3_variable_attribute_code",
    "3_variable_attribute_label",
    "value_variable_label",
]
columns = st.one_of(st.sampled_from(KEY_COLUMNS), st.integers(0, 40))
row_indexes = st.integers(0, 10_000)
positions = st.integers(0, 1 << 24)

CODES = [
    "MONAT13",
    "MONAT00",
    "MONAT1",
    "MONAT",
    "MONATX",
    "STLAH1234",
    "STLAH07",
    "STLAH",
    "STLAH999",
    "WERTX",
    "werta",
    "WERTA",
    "WERTE",
    "GEWA",
    "WERTAS",
    "DINSG",
    "WAM4",
    "KREISE",
    "JAHR",
    "MONAT01",
    "51000",
    "12211",
    "1989",
    "1990",
    "2099",
    "0000",
    "20245",
    "p",
    "e",
    "r",
    "(p)",
    "provisional",
    "Tsd. EUR",
    "EUR 1000",
    "t",
    "US-$ 1000",
    "Tsd. US $",
    "EUR",
    "",
    " ",
]
SYMBOL_LIKE = sorted(SYMBOLS) + [
    "X",
    "*",
    "–",
    "..",
    "....",
    "k.A.",
    "NA",
    "null",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e3",
    "0x10",
    "- ",
    ".",
]
BAD_BYTES = [
    b"\xff",
    b"\xfe",
    b"\xc3",
    b"\xe4",
    b"\xc3(",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\x00",
    b"\x85",
    b"\r",
    b"\n",
    b'"',
    b";",
    BOM,
]


@st.composite
def number_texts(draw) -> str:
    """Numbers as GENESIS might (mis)write them: signs, many digits, many decimals, comma or point."""
    sign = draw(st.sampled_from(["", "", "-", "+", "--"]))
    digits = draw(st.text("0123456789", min_size=1, max_size=42))
    separator = draw(st.sampled_from(["", ",", ".", ",", ".", "'", " "]))
    decimals = draw(st.text("0123456789", min_size=0, max_size=8)) if separator else ""
    grouped = draw(st.sampled_from(["", "", "1.234.567,891", "1,234,567.891", "1 234", "12.345", "12,345"]))
    return grouped or f"{sign}{digits}{separator}{decimals}"


field_texts = st.one_of(
    number_texts(),
    st.sampled_from(SYMBOL_LIKE),
    st.sampled_from(CODES),
    st.text(max_size=12),  # any Unicode, including ; " and line breaks
    st.text(st.characters(categories=["Nd", "No", "Zs", "Cc"]), max_size=6),  # digits of other scripts, spaces
)
field_values = st.one_of(
    field_texts.map(lambda s: s.encode("utf-8")),
    field_texts.map(lambda s: s.encode("latin-1", errors="replace")),
    st.binary(max_size=6),
    st.sampled_from(BAD_BYTES),
)
header_names = st.one_of(
    st.sampled_from(
        [c.encode() for c in KEY_COLUMNS] + [b"", b"4_variable_code", b"01_variable_code", b"Statistik_Code", b"value "]
    ),
    st.text(max_size=10).map(lambda s: s.encode("utf-8")),
)

mutations = st.one_of(
    st.builds(lambda c, r, v: Mutation("set_field", (c, r, v)), columns, row_indexes, field_values),
    st.builds(lambda c, v: Mutation("set_column", (c, v)), columns, field_values),
    st.builds(lambda c: Mutation("drop_column", (c,)), columns),
    st.builds(lambda c: Mutation("duplicate_column", (c,)), columns),
    st.builds(lambda a, b, h: Mutation("swap_columns", (a, b, h)), columns, columns, st.booleans()),
    st.builds(lambda c, n: Mutation("rename_column", (c, n)), columns, header_names),
    st.builds(lambda r, n: Mutation("delete_rows", (r, n)), row_indexes, st.integers(1, 2_000)),
    st.builds(lambda r, a: Mutation("duplicate_row", (r, a)), row_indexes, row_indexes),
    st.builds(lambda p: Mutation("truncate", (p,)), positions),
    st.builds(
        lambda p, b: Mutation("insert_bytes", (p, b)),
        positions,
        st.one_of(st.sampled_from(BAD_BYTES), st.binary(min_size=1, max_size=8)),
    ),
    st.builds(lambda c, h: Mutation("quote_fields", (c, h)), columns, st.booleans()),
    st.sampled_from([Mutation(k) for k in ("crlf", "cr_only", "remove_bom", "double_bom", "latin1", "empty", "header_only")]),
)
mutation_lists = st.lists(mutations, min_size=1, max_size=3)

# Plausible revisions (a new number in the German file): these runs must load, and load every row.
revisions = st.lists(
    st.builds(
        lambda r, n: Mutation("set_field", ("value", r, n.encode())),
        row_indexes,
        st.one_of(st.integers(0, 10**12).map(str), st.decimals(0, 10**9, places=3).map(lambda d: str(d).replace(".", ","))),
    ),
    min_size=1,
    max_size=3,
)

harmless_mutations = st.one_of(
    st.sampled_from([Mutation("crlf"), Mutation("remove_bom")]),
    st.builds(lambda a, b: Mutation("swap_columns", (a, b, True)), columns, columns),
    st.builds(lambda s: Mutation("shuffle_rows", (s,)), st.integers(0, 1000)),
    st.builds(lambda c: Mutation("quote_fields", (c,)), columns),
    st.builds(
        lambda a, n, v: Mutation("add_column", (a, n, v)),
        st.integers(0, 40),
        st.sampled_from([b"value_comment", b"time_note", b"9_variable_label", b"Bemerkung"]),
        st.sampled_from([b"", b"note", b"1,5", b"STLAH075"]),
    ),
)


# -- the contract a staged batch must meet -------------------------------------------------------------


def parquet_frame(path: Path) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        return con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
    finally:
        con.close()


def parquet_records(path: Path) -> list[dict]:
    con = duckdb.connect()
    try:
        return fetch_records(con, "SELECT * FROM read_parquet(?) ORDER BY ALL", [str(path)])
    finally:
        con.close()


def validate_observations(parquet: Path) -> None:
    """schemas.observations.Observations on the staged batch (raises pandera's SchemaErrors on a breach)."""
    schema = Observations.to_schema()
    if type(schema).__module__.startswith("pandera.api.pandas"):
        schema.validate(parquet_frame(parquet), lazy=True)
        return
    # pandera's ibis backend (a rewrite in progress): validate inside DuckDB as the staging does,
    # with a row_index and the exact DECIMAL value checked as DOUBLE
    import ibis

    con = duckdb.connect()
    try:
        path = str(parquet).replace("'", "''")
        con.execute(
            "CREATE TABLE batch AS SELECT * REPLACE (CAST(value AS DOUBLE) AS value), "
            f"row_number() OVER () - 1 AS row_index FROM read_parquet('{path}')"
        )
        table = ibis.duckdb.from_connection(con).table("batch")
        schema.validate(table.select([c for c in schema.columns if c in table.columns]), lazy=True)
    finally:
        con.close()


def csv_records(data: bytes) -> int:
    """Data records in the file as Python's csv module reads ';'-separated text (blank lines skipped)."""
    text = data.decode("utf-8-sig", errors="replace")
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"') if r]
    return max(len(records) - 1, 0)


def assert_clear_error(error: Exception) -> None:
    assert isinstance(error, (FlatFileError, ValidationFailed)) and isinstance(error, ExportwatchError)
    assert error.table == TABLE
    assert str(error).startswith(f"{TABLE}: "), str(error)
    assert "Traceback" not in str(error)


def assert_batch_meets_the_contract(parquet: Path, count: int, data: bytes) -> None:
    records = parquet_records(parquet)
    assert count == len(records) > 0
    # nothing silently dropped: every record of the file became one observation
    assert count == csv_records(data), "rows were lost or invented between the file and the batch"
    validate_observations(parquet)
    next_month = (pd.Timestamp.now().normalize().replace(day=1) + pd.offsets.MonthBegin(1)).date()
    for r in records:
        assert r["table_code"] == TABLE
        assert (r["value"] is None) == (r["symbol"] in NO_VALUE_SYMBOLS), r
        if r["value"] is not None:
            assert isinstance(r["value"], Decimal) and r["value"] >= 0, r
        if r["symbol"] == "-":
            assert r["value"] == 0, r
        month = r["month"]
        assert isinstance(month, date) and month.day == 1, r
        assert date.fromisoformat(EARLIEST_MONTH) <= month <= next_month, r
        assert r["measure"] in MEASURES and r["unit"] == MEASURES[r["measure"]].base_unit, r
    keys = [(r["country_code"], r["month"], r["measure"]) for r in records]
    assert len(keys) == len(set(keys)), "a key was staged twice"


def stage_bytes(data: bytes, language: str) -> tuple[int | None, Exception | None, Path | None, tempfile.TemporaryDirectory]:
    work = tempfile.TemporaryDirectory(prefix="exportwatch-property-")
    csv_path = Path(work.name) / "flat.csv"
    csv_path.write_bytes(data)
    parquet = Path(work.name) / "batch.parquet"
    try:
        return stage_flat_file(csv_path, parquet, table_code=TABLE, language=language, context=CONTEXT), None, parquet, work
    except (FlatFileError, ValidationFailed) as error:
        return None, error, parquet, work
    # anything else propagates and fails the test


def check_parser_property(base: bytes, mutation_list: list[Mutation], language: str) -> None:
    data = apply_all(mutation_list, base)
    count, error, parquet, work = stage_bytes(data, language)
    with work:
        event(type(error).__name__ if error else "staged")
        if error is not None:
            assert_clear_error(error)
            assert not parquet.exists(), "a failed staging left a (partial) Parquet batch behind"
        else:
            assert_batch_meets_the_contract(parquet, count, data)


# -- property 1: the parser ------------------------------------------------------------------------------


def test_unmutated_sources_stage_cleanly():
    for language in ("de", "en"):
        count, error, parquet, work = stage_bytes(generated_file(language), language)
        with work:
            assert error is None, error
            assert_batch_meets_the_contract(parquet, count, generated_file(language))


def test_unmutated_recordings_stage_cleanly(recorded_files, recorded_samples):
    for language in ("de", "en"):
        for data, expected in [(recorded_files[language], 262 * 6), (recorded_samples[language], 45 * 6)]:
            count, error, parquet, work = stage_bytes(data, language)
            with work:
                assert error is None, error
                assert count == expected
                assert_batch_meets_the_contract(parquet, count, data)


@reproducible(PARSER_EXAMPLES)
@given(
    mutation_list=mutation_lists,
    language=st.sampled_from(["de", "en"]),
    staged_as=st.sampled_from(["same", "same", "same", "other"]),
)
def test_mutated_generated_file_is_staged_whole_or_rejected_clearly(mutation_list, language, staged_as):
    other = {"de": "en", "en": "de"}[language]
    check_parser_property(generated_file(language), mutation_list, language if staged_as == "same" else other)


@reproducible(PARSER_EXAMPLES)
@given(
    mutation_list=mutation_lists,
    language=st.sampled_from(["de", "en"]),
    staged_as=st.sampled_from(["same", "same", "same", "other"]),
)
def test_mutated_real_recording_is_staged_whole_or_rejected_clearly(recorded_samples, mutation_list, language, staged_as):
    other = {"de": "en", "en": "de"}[language]
    check_parser_property(recorded_samples[language], mutation_list, language if staged_as == "same" else other)


# -- property 3: harmless changes stage the same rows ----------------------------------------------------


@reproducible(HARMLESS_EXAMPLES)
@given(mutation_list=st.lists(harmless_mutations, min_size=1, max_size=3), language=st.sampled_from(["de", "en"]))
def test_harmless_changes_stage_identical_rows(mutation_list, language):
    count, error, parquet, work = stage_bytes(apply_all(mutation_list, generated_file(language)), language)
    with work:
        assert error is None, error
        assert parquet_records(parquet) == staged_reference(language)


@cache
def staged_reference(language: str) -> list[dict]:
    count, error, parquet, work = stage_bytes(generated_file(language), language)
    with work:
        assert error is None, error
        return parquet_records(parquet)


# -- property 2: the whole pipeline never loads a partial batch ------------------------------------------


def test_pipeline_loads_all_or_nothing(genesis, settings, token_client, tmp_path):
    """Per example: a fresh copy of the warehouse after a good first load, one run with a mutated file."""
    run_update(settings, token_client)  # the first good load
    template = tmp_path / "template.duckdb"
    shutil.copyfile(settings.warehouse.path, template)
    assert not settings.warehouse.path.with_name(settings.warehouse.path.name + ".wal").exists()
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)  # something is always new, so data is sent
    before = snapshot(template)
    assert before["observations"]
    numbers = itertools.count()
    outcomes: list[str] = []

    @reproducible(PIPELINE_EXAMPLES)
    @given(mutation_list=st.one_of(mutation_lists, mutation_lists, revisions))
    def one_run(mutation_list):
        example = tmp_path / f"example-{next(numbers)}"
        run_settings = settings.model_copy(deep=True)
        run_settings.warehouse.path = example / "exportwatch.duckdb"
        example.mkdir()
        shutil.copyfile(template, run_settings.warehouse.path)
        delivered: list[bytes] = []

        def transform(text: str) -> str:
            data = apply_all(mutation_list, BOM + text.encode("utf-8"))
            delivered.append(data)
            return data.decode("latin-1")  # encoded back with latin-1: the exact bytes go on the wire

        genesis.state.faults.clear()
        genesis.state.add_fault(Fault(csv_transform=transform, encoding="latin-1"))
        try:
            try:
                report = run_update(run_settings, token_client)
            except ExportwatchError as error:
                outcomes.append(type(error).__name__)
                assert isinstance(error, (FlatFileError, ValidationFailed)), error
                assert_clear_error(error)
                assert snapshot(run_settings.warehouse.path) == before, "a failed run changed the data tables"
                runs = query(run_settings.warehouse.path, "SELECT status, error FROM update_runs ORDER BY started_at")
                assert runs[-1] == ("failed", str(error))
            else:
                outcomes.append(report.status)
                assert len(delivered) == 1, "the mutated file was not delivered exactly once"
                assert_whole_batch_loaded(
                    run_settings.warehouse.path, delivered[0], tmp_path / "expected", run_settings.genesis.language
                )
        finally:
            shutil.rmtree(example, ignore_errors=True)

    one_run()
    print(f"pipeline outcomes over {len(outcomes)} runs: {dict(Counter(outcomes))}")
    assert len(outcomes) == PIPELINE_EXAMPLES
    assert {"FlatFileError", "ValidationFailed"} & set(outcomes)  # the mutations do reach the checks


def assert_whole_batch_loaded(warehouse: Path, data: bytes, work: Path, language: str) -> None:
    """Every observation of the delivered file is now the current vintage in the warehouse."""
    work.mkdir(exist_ok=True)
    csv_path, parquet = work / "delivered.csv", work / "delivered.parquet"
    csv_path.write_bytes(data)
    parquet.unlink(missing_ok=True)
    stage_flat_file(csv_path, parquet, table_code=TABLE, language=language, context=CONTEXT)
    expected = {
        (r["country_code"], r["month"], r["measure"]): (r["value"], r["unit"], r["symbol"], r["quality"])
        for r in parquet_records(parquet)
    }
    current = {
        (c, m, ms): (v, u, s, q)
        for c, m, ms, v, u, s, q in query(
            warehouse,
            "SELECT country_code, month, measure, value, unit, symbol, quality FROM observations "
            "WHERE valid_to IS NULL AND table_code = ?",
            [TABLE],
        )
    }
    missing = {k: v for k, v in expected.items() if current.get(k) != v}
    assert not missing, (
        f"{len(missing)} of {len(expected)} delivered observations are not current, e.g. {next(iter(missing.items()))}"
    )


# -- regressions: bugs the properties found -----------------------------------------------------------


@pytest.mark.parametrize(
    "country",
    [
        pytest.param(b'"STLAH075\n"', id="trailing-newline-in-quoted-field"),
        pytest.param("STLAH٠٧٥".encode(), id="arabic-indic-digits"),
        pytest.param("STLAH０７５".encode(), id="fullwidth-digits"),
    ],
)
def test_country_codes_are_ascii_stlah_keys_exactly(country):
    base = generated_file("de")
    header, rows = Lines.of(base).table()
    i = header.index(b"2_variable_attribute_code")
    row = next(n for n, r in enumerate(rows) if r[i] == RU.encode())
    data = set_field(base, "2_variable_attribute_code", row, country)
    count, error, parquet, work = stage_bytes(data, "de")
    with work:
        if error is None:
            codes = {r["country_code"] for r in parquet_records(parquet)}
            assert codes <= {RU, KG}, f"loaded country code(s) {sorted(codes - {RU, KG})!r}"


def test_quality_flag_with_trailing_newline_is_rejected_or_clean():
    base = generated_file("de")
    header, rows = Lines.of(base).table()
    q = header.index(b"value_q")
    row = next(n for n, r in enumerate(rows) if r[q] == b"p")
    count, error, parquet, work = stage_bytes(set_field(base, "value_q", row, b'"p\n"'), "de")
    with work:
        if error is None:
            assert {r["quality"] for r in parquet_records(parquet)} <= {"p", None}


def test_a_duplicated_row_cannot_slip_past_the_key_check():
    base = generated_file("de")
    f = Lines.of(base)
    header, rows = f.table()
    i = header.index(b"2_variable_attribute_code")
    copy = list(next(r for r in rows if r[i] == RU.encode()))
    copy[i] = b'"STLAH075\n"'
    data = f.set_table(header, rows + [copy])
    count, error, parquet, work = stage_bytes(data, "de")
    with work:
        if error is None:
            records = parquet_records(parquet)
            stripped = [(r["country_code"].strip(), r["month"], r["measure"]) for r in records]
            assert len(stripped) == len(set(stripped)), "one observation was staged twice under two spellings"


def test_quoted_header_name_keeps_the_quality_flags():
    data = quote_fields(generated_file("de"), "value_q", True)
    assert data.splitlines()[0].endswith(b';"value_q"')
    count, error, parquet, work = stage_bytes(data, "de")
    with work:
        assert error is None, error  # legal CSV: the same file as before
        assert parquet_records(parquet) == staged_reference("de")


# -- the ZIP around the file ---------------------------------------------------------------------------

RECORDED_ZIPS = ("001-data-tablefile.zip", "003-data-tablefile.zip")


def zip_bytes(member: bytes, name: str = "51000-0004_1773174953216_de_flat.csv") -> bytes:
    """A deterministic ZIP (fixed timestamp) with one deflated member, as GENESIS sends it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name, (2026, 3, 10, 21, 35, 53)), member, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def zip_sources() -> Sources:
    """The generated file zipped here, plus the recorded ZIPs themselves."""
    sources = Sources(generated=zip_bytes(generated_file("de")))
    for body in RECORDED_ZIPS:
        sources[body] = recording("51000-0010", body).read_bytes()
    return sources


# (header, offset inside it, width in bytes) of the fields a reader trusts
ZIP_FIELDS = {
    "local.flags": ("local", 6, 2),
    "local.method": ("local", 8, 2),
    "local.name_length": ("local", 26, 2),
    "cd.flags": ("cd", 8, 2),
    "cd.method": ("cd", 10, 2),
    "cd.crc": ("cd", 16, 4),
    "cd.compressed_size": ("cd", 20, 4),
    "cd.size": ("cd", 24, 4),
    "cd.name_length": ("cd", 28, 2),
    "cd.local_offset": ("cd", 42, 4),
    "eocd.entries": ("eocd", 10, 2),
    "eocd.cd_size": ("eocd", 12, 4),
    "eocd.cd_offset": ("eocd", 16, 4),
}


def set_zip_field(data: bytes, field: str, value: int) -> bytes:
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 > len(data):
        return data
    starts = {"local": 0, "cd": int.from_bytes(data[eocd + 16 : eocd + 20], "little"), "eocd": eocd}
    header, offset, width = ZIP_FIELDS[field]
    at = starts[header] + offset
    if at + width > len(data):
        return data
    return data[:at] + (value % (1 << 8 * width)).to_bytes(width, "little") + data[at + width :]


def flip_bit(data: bytes, at: int, bit: int) -> bytes:
    if not data:
        return data
    i = at % len(data)
    return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


def set_byte(data: bytes, at: int, value: int) -> bytes:
    if not data:
        return data
    i = at % len(data)
    return data[:i] + bytes([value]) + data[i + 1 :]


MUTATORS.update({fn.__name__: fn for fn in (set_zip_field, flip_bit, set_byte)})

zip_mutations = st.one_of(
    st.builds(lambda f, v: Mutation("set_zip_field", (f, v)), st.sampled_from(sorted(ZIP_FIELDS)), st.integers(0, (1 << 32) - 1)),
    st.builds(lambda p, b: Mutation("flip_bit", (p, b)), positions, st.integers(0, 7)),
    st.builds(lambda p, v: Mutation("set_byte", (p, v)), positions, st.integers(0, 255)),
    st.builds(lambda p: Mutation("truncate", (p,)), positions),
    st.builds(lambda p, b: Mutation("insert_bytes", (p, b)), positions, st.binary(min_size=1, max_size=8)),
)


def extract_bytes(zip_data: bytes) -> tuple[bytes | None, Exception | None]:
    with tempfile.TemporaryDirectory(prefix="exportwatch-zip-") as work:
        path = Path(work) / "answer.zip"
        path.write_bytes(zip_data)
        try:
            target = extract_flat_csv(path, Path(work) / "staging", name="ours", context=CONTEXT)
        except FlatFileError as error:
            return None, error
        return target.read_bytes(), None


def member_of(zip_data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(zip_data)) as archive:
        (member,) = archive.infolist()
        return archive.read(member)


@reproducible(PARSER_EXAMPLES)
@given(source=st.sampled_from(["generated", *RECORDED_ZIPS]), mutation_list=st.lists(zip_mutations, min_size=1, max_size=3))
def test_mutated_zip_is_extracted_whole_or_rejected_clearly(zip_sources, source, mutation_list):
    original = zip_sources.get(source, zip_sources["generated"])
    extracted, error = extract_bytes(apply_all(mutation_list, original))
    event(type(error).__name__ if error else "extracted")
    if error is not None:
        assert_clear_error(error)
    else:
        assert extracted == member_of(original), "the ZIP's CRC let changed content through"


@pytest.mark.parametrize(
    "field,value",
    [
        pytest.param("cd.method", 9, id="deflate64"),
        pytest.param("cd.method", 99, id="unknown-method"),
        pytest.param("cd.method", 12, id="bzip2-with-deflate-data"),
        pytest.param("cd.flags", 1, id="encrypted"),
        pytest.param("eocd.cd_offset", None, id="central-directory-offset-past-start"),
    ],
)
def test_damaged_zip_headers_raise_flat_file_error(field, value):
    original = zip_bytes(generated_file("de"))
    if value is None:
        value = int.from_bytes(original[-6:-2], "little") + 1
    extracted, error = extract_bytes(set_zip_field(original, field, value))
    assert error is not None and extracted is None


def test_pipeline_records_a_zip_it_cannot_open_as_a_failed_run(genesis, settings, token_client):
    run_update(settings, token_client)
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)
    before = snapshot(settings.warehouse.path)
    deflate64 = set_zip_field(zip_bytes(generated_file("de")), "cd.method", 9)
    genesis.state.add_fault(Fault(body=deflate64, headers={"Content-Type": "application/zip"}))
    try:
        with pytest.raises(FlatFileError) as raised:
            run_update(settings, token_client)
        assert TABLE in str(raised.value)
        runs = query(settings.warehouse.path, "SELECT status FROM update_runs ORDER BY started_at")
        assert runs[-1] == ("failed",)
    finally:
        assert snapshot(settings.warehouse.path) == before  # holds even today: nothing was loaded
