"""`exportwatch load`: a flat file downloaded by hand from the GENESIS web UI (ZIP or CSV), through
the same archive, staging, validation and vintage rules as a fetched response."""

import hashlib
import logging
import re
import zipfile
from pathlib import Path

from flows.config import Settings
from flows.errors import FlatFileError
from flows.genesis.archive import ResponseArchive
from flows.pipeline.exclusive_run import Run, exclusive_run
from flows.pipeline.flat_file import (
    CORRUPT_ZIP_ERRORS,
    MAX_ZIP_DIRECTORY_BYTES,
    READABLE_COMPRESSION,
    UNREADABLE_ZIP_ERRORS,
    zip_directory_bytes,
)
from flows.pipeline.load import UpdateReport, load_batches
from flows.pipeline.stage import loaded_before, stage_response

TABLE_IN_NAME = re.compile(r"(\d{5}-\d{4})")
LANGUAGE_IN_NAME = re.compile(r"_(de|en)_flat\.(csv|zip)$", re.I)
GERMAN_LABELS = ("Außenhandel", "Tsd. EUR")
ENGLISH_LABELS = ("Foreign trade", "EUR 1000")

log = logging.getLogger(__name__)


def table_from_name(path: Path, explicit: str | None) -> str:
    if explicit:
        if not re.fullmatch(r"51000-\d{4}", explicit):
            raise FlatFileError(f"--table {explicit!r} is not a foreign-trade table code like 51000-0004")
        return explicit
    match = TABLE_IN_NAME.search(path.name)
    if not match:
        raise FlatFileError(
            f"cannot tell the GENESIS table from the file name {path.name!r}: pass --table, e.g. --table 51000-0012"
        )
    return match.group(1)


def detect_language(path: Path, archived: Path, kind: str, line_bytes: int) -> str:
    """From the file name (..._de_flat.zip) or else from the first data row's labels."""
    match = LANGUAGE_IN_NAME.search(path.name)
    if match:
        return match.group(1).lower()
    first = first_data_line(archived, kind, line_bytes)
    if any(label in first for label in GERMAN_LABELS):
        return "de"
    if any(label in first for label in ENGLISH_LABELS):
        return "en"
    return "de"


def load_file(settings: Settings, path: Path, *, table: str | None = None) -> UpdateReport:
    if not path.is_file():
        raise FlatFileError(f"no file at {path}")
    table_code = table_from_name(path, table)
    request = {"file": path.name, "table": table_code}
    request_key = hashlib.sha256(f"load:{table_code}".encode()).hexdigest()[:16]
    describe = f"exportwatch load {path.name} (table {table_code})"
    with exclusive_run(settings) as run:
        loaded = loaded_before(settings, [request_key])
        if loaded.holds_file(path, request_key):  # no copy into the archive: these bytes are there already
            log.info("%s: the same data was loaded before; nothing to load", describe)
            return loaded_already(settings, run)
        archived = ResponseArchive(settings.warehouse.archive_dir).store_file(
            path,
            endpoint="manual/load",
            form=request,
            content_type="application/zip" if path.suffix.lower() == ".zip" else "text/csv",
            fetched_at=run.started_at,
        )
        context = dict(table=table_code, request=describe, archived=str(archived.path))
        if archived.kind not in ("zip", "csv"):
            raise FlatFileError(
                "the file is neither a ZIP nor a GENESIS flat file (it must start with 'statistics_code')", **context
            )
        if loaded.holds(archived, request_key, settings.limits):  # the same flat file in other bytes
            return loaded_already(settings, run)
        language = detect_language(path, archived.path, archived.kind, settings.limits.line_bytes)
        batch = stage_response(
            archived,
            table_code,
            language,
            request_key,
            describe,
            run.staging_dir,
            settings.warehouse.memory_limit,
            settings.limits,
        )
        return load_batches(settings, [batch], [], run_id=run.run_id, started_at=run.started_at, requests=0)


def loaded_already(settings: Settings, run: Run) -> UpdateReport:
    """The run of a file whose data is loaded: nothing inserted, the run logged as unchanged."""
    report = load_batches(settings, [], [], run_id=run.run_id, started_at=run.started_at, requests=0)
    report.already_loaded = True
    return report


def first_data_line(archived: Path, kind: str, line_bytes: int) -> str:
    """The second line of the flat file (at most line_bytes of each line: staging names a longer
    one), read without unpacking the whole ZIP."""
    try:
        if kind == "csv":
            with open(archived, "rb") as handle:
                handle.readline(line_bytes)
                return handle.readline(line_bytes).decode("utf-8", errors="replace")
        directory = zip_directory_bytes(archived)
        if directory is None or directory > MAX_ZIP_DIRECTORY_BYTES:
            return ""  # staging names the problem
        with zipfile.ZipFile(archived) as archive:
            members = archive.infolist()
            if len(members) != 1 or members[0].compress_type not in READABLE_COMPRESSION:
                return ""  # staging names the problem
            with archive.open(members[0]) as handle:
                handle.readline(line_bytes)
                return handle.readline(line_bytes).decode("utf-8", errors="replace")
    except (*CORRUPT_ZIP_ERRORS, *UNREADABLE_ZIP_ERRORS):
        return ""  # staging names the problem
