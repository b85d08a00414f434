"""A flat file ZIP is staged without unpacking it to disk (the member streams through a pipe into
DuckDB's read): the same batch as from the unpacked CSV, the same limits, nothing left behind; and
the same data downloaded again in other bytes is recognised as loaded without staging it."""

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb
import pytest

from benchmarks import generate
from flows.errors import FlatFileError
from flows.limits import Limits
from flows.pipeline.content import ContentDigest
from flows.pipeline.flat_file import stage_flat_file
from flows.pipeline.flat_zip import stage_flat_zip
from flows.pipeline.load_file import load_file
from tests.support import query

TABLE = "51000-0012"
CONTEXT = dict(table=TABLE, request="exportwatch load (test)", archived="raw/ab/abc.zip")
ROWS = 30_000  # about (whole goods codes); more than the layout sample and the UTF-8 probe: the rest goes through the pipe


@pytest.fixture(scope="module")
def flat_files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("flat")
    csv_path, zip_path = folder / f"{TABLE}_t_de_flat.csv", folder / f"{TABLE}_t_de_flat.zip"
    generate.write(csv_path, ROWS, 7)
    generate.write(zip_path, ROWS, 7)
    return csv_path, zip_path


def batch_rows(parquet: Path) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute("SELECT * FROM read_parquet(?) ORDER BY ALL", [str(parquet)]).fetchall()
    finally:
        con.close()


def test_a_zip_streamed_into_the_read_gives_the_batch_of_its_unpacked_csv(flat_files, tmp_path):
    csv_path, zip_path = flat_files
    staged = dict(table_code=TABLE, language="de", context=CONTEXT)
    from_csv = stage_flat_file(csv_path, tmp_path / "csv.parquet", **staged)
    digest = ContentDigest()
    work = tmp_path / "work"
    from_zip = stage_flat_zip(zip_path, tmp_path / "zip.parquet", work_dir=work, name="z", digest=digest, **staged)

    assert from_zip == from_csv > 0
    assert batch_rows(tmp_path / "zip.parquet") == batch_rows(tmp_path / "csv.parquet")
    assert digest.content().sha256 == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    assert list(work.iterdir()) == []  # no head file, no pipe, no scratch database


def test_a_long_line_past_the_first_rows_stops_the_stream_with_the_limit_and_leaves_nothing(flat_files, tmp_path):
    csv_path, _ = flat_files
    lines = csv_path.read_bytes().split(b"\n")
    lines[20_000] = lines[20_000] + b"x" * 20_000  # far beyond line_bytes, far after the head
    zip_path = tmp_path / "long.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("long_flat.csv", b"\n".join(lines))
    work = tmp_path / "work"
    with pytest.raises(FlatFileError, match=r"longer line.*line_bytes"):
        stage_flat_zip(
            zip_path,
            tmp_path / "b.parquet",
            work_dir=work,
            name="z",
            table_code=TABLE,
            language="de",
            context=CONTEXT,
            limits=Limits(line_bytes=8192),
        )
    assert list(work.iterdir()) == [] and not list(tmp_path.glob("b.*"))


def test_the_same_data_in_other_bytes_is_recognised_as_loaded(settings, flat_files, tmp_path):
    csv_path, zip_path = flat_files
    repacked = tmp_path / f"{TABLE}_repacked_de_flat.zip"
    with zipfile.ZipFile(repacked, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(csv_path, "another_name_flat.csv")

    first = load_file(settings, zip_path)
    again = [load_file(settings, path) for path in (csv_path, repacked)]

    assert first.rows_inserted > 20_000
    assert [(r.status, r.rows_inserted, r.rows_closed, r.already_loaded) for r in again] == [("unchanged", 0, 0, True)] * 2
    assert not first.already_loaded
    assert query(settings.warehouse.path, "SELECT count(*) FROM raw_responses") == [(1,)]
    assert query(settings.warehouse.path, "SELECT count(*) FROM observations") == [(first.rows_inserted,)]


def test_a_file_whose_data_is_loaded_is_not_copied_into_the_archive_again(settings, flat_files, tmp_path):
    """The bare CSV of a loaded ZIP is its member, byte for byte: in the archive already. A file of
    the same size with one value changed is no such thing: archived and loaded as a revision."""
    csv_path, zip_path = flat_files
    load_file(settings, zip_path)
    archive = settings.warehouse.archive_dir
    archived_before = sorted(archive.rglob("*"))

    again = load_file(settings, csv_path)

    assert (again.status, again.rows_inserted) == ("unchanged", 0)
    assert sorted(archive.rglob("*")) == archived_before
    text = csv_path.read_text(encoding="utf-8")
    header, first, rest = text.split("\n", 2)
    fields = first.split(";")
    value_at = header.split(";").index("value")
    digits = fields[value_at]
    fields[value_at] = digits[:-1] + ("1" if digits[-1] != "1" else "2")  # the same length, another value
    changed = tmp_path / csv_path.name
    changed.write_text("\n".join([header, ";".join(fields), rest]), encoding="utf-8")
    assert changed.stat().st_size == csv_path.stat().st_size

    revised = load_file(settings, changed)

    sha = hashlib.sha256(changed.read_bytes()).hexdigest()
    assert (archive / sha[:2] / f"{sha}.csv").read_bytes() == changed.read_bytes()
    assert (revised.status, revised.rows_inserted, revised.rows_closed, revised.already_loaded) == ("loaded", 1, 1, False)


def test_a_loaded_file_is_archived_byte_for_byte_under_its_sha256_and_left_as_it_was(settings, flat_files):
    """`exportwatch load` copies the file into the archive (ResponseArchive.store_file, a kernel copy)
    and names it by the hash of what it archived; the manifest says so."""
    csv_path = flat_files[0]
    before = csv_path.read_bytes()
    sha = hashlib.sha256(before).hexdigest()
    load_file(settings, csv_path)
    archived = settings.warehouse.archive_dir / sha[:2] / f"{sha}.csv"
    assert archived.read_bytes() == before == csv_path.read_bytes()
    manifest = (settings.warehouse.archive_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    line = json.loads(manifest[-1])
    assert (line["sha256"], line["size_bytes"], line["path"], line["endpoint"]) == (
        sha,
        len(before),
        f"{sha[:2]}/{sha}.csv",
        "manual/load",
    )
    assert not list((settings.warehouse.archive_dir / "incoming").iterdir())
    assert query(settings.warehouse.path, "SELECT sha256, size_bytes FROM raw_responses") == [(sha, len(before))]
