"""Staging a flat file ZIP without unpacking it to disk: the member streams through a named pipe
into DuckDB's one read of it.

Unpacking first wrote the whole CSV (5.6 GB at 20M rows, 16 s) only to read it again. Now the
first rows go to a small file, where the layout is found as before; then a thread unpacks the
member into a pipe (within the same [limits]: LineLengthGuard, unpacked size, ratio; all checked
in flat_file.member_chunks) while DuckDB parses from it. DuckDB reads a pipe in one thread, but the
unpacking runs beside it and nothing is written: measured at 1M rows on 2 cores, the pipe took
6.1-6.7 s of CPU against 7.0-7.4 s for unpacking to a file and reading that, and 6.2 s for reading
the bare CSV. Whatever the first rows do not settle (a layout that needs the whole file, rows the
contract rejects) is staged from the unpacked file as before, so errors read as they always did.
"""

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from flows.errors import FlatFileError
from flows.limits import DEFAULT_LIMITS, Limits
from flows.pipeline import flat_file
from flows.pipeline.content import ContentDigest
from warehouse import staging


def stage_flat_zip(
    zip_path: Path,
    parquet_path: Path,
    *,
    work_dir: Path,
    name: str,
    table_code: str,
    language: str,
    context: dict,
    memory_limit: str = "700MB",
    limits: Limits = DEFAULT_LIMITS,
    goods_variable: str = "",
    years: tuple[int, int] | None = None,
    digest: ContentDigest | None = None,
    in_memory: bool = False,
    threads: int | None = None,
) -> int:
    """stage_flat_file for a flat file ZIP: the same batch, the same errors. `digest` sees the
    member's bytes (all of them, unless the whole file had to be unpacked after all)."""
    staged = dict(table_code=table_code, language=language, context=context, memory_limit=memory_limit)
    staged.update(line_bytes=limits.line_bytes, goods_variable=goods_variable, years=years, in_memory=in_memory, threads=threads)
    chunks = flat_file.member_chunks(zip_path, context=context, limits=limits)
    if digest is not None:
        chunks = digest.feed(chunks)
    head = work_dir / f"{name}.head.csv"
    try:
        first, head_end, complete = first_rows(chunks)
        work_dir.mkdir(parents=True, exist_ok=True)
        head.write_bytes(first[:head_end])
        if complete:  # a small file: the head is all of it
            return flat_file.stage_flat_file(head, parquet_path, **staged)
        rows = stage_streamed(head, first, chunks, parquet_path, work_dir / f"{name}.pipe", staged)
    finally:
        chunks.close()
        head.unlink(missing_ok=True)
    if rows is not None:
        return rows
    csv_path = flat_file.extract_flat_csv(zip_path, work_dir, name=name, context=context, limits=limits)
    try:
        return flat_file.stage_flat_file(csv_path, parquet_path, **staged)
    finally:
        csv_path.unlink(missing_ok=True)


def first_rows(chunks: Iterator[bytes]) -> tuple[bytes, int, bool]:
    """The start of the member: its bytes so far, the end of its whole lines that hold the header,
    LAYOUT_SAMPLE_ROWS rows and at least the bytes read_header probes for UTF-8, and True when
    that is the whole member."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        header_end = buffer.find(b"\n")
        if header_end < 0 or len(buffer) < header_end + 1 + flat_file.UTF8_PROBE_BYTES:
            continue
        if buffer.count(b"\n") > flat_file.LAYOUT_SAMPLE_ROWS:
            return bytes(buffer), buffer.rfind(b"\n") + 1, False
    return bytes(buffer), len(buffer), True


def stage_streamed(head: Path, first: bytes, chunks: Iterator[bytes], parquet_path: Path, pipe: Path, staged: dict) -> int | None:
    """The one read from a pipe, with the layout of the head file; None where that does not settle it."""
    context, line_bytes = staged["context"], staged["line_bytes"]
    scratch = flat_file.scratch_database(
        parquet_path, staged["memory_limit"], line_bytes, context, in_memory=staged["in_memory"], threads=staged["threads"]
    )
    with scratch as con:
        try:
            layout = flat_file.read_layout(
                head, con, context=context, sample_rows=flat_file.LAYOUT_SAMPLE_ROWS, line_bytes=line_bytes
            )
        except FlatFileError:
            return None  # the whole file decides
        os.mkfifo(pipe, 0o600)
        try:
            with MemberPipe(pipe, [first], chunks):
                staging.define_flat_file(con, pipe, layout.header, list(layout.columns), line_bytes)
                rejects = flat_file.type_observations(con, layout, staged["language"])
        finally:
            pipe.unlink(missing_ok=True)
        if rejects:
            return None  # maybe the first rows did not show every variable; else the text names the rows
        return flat_file.write_checked_batch(
            con,
            layout,
            parquet_path,
            table_code=staged["table_code"],
            goods_variable=staged["goods_variable"],
            years=staged["years"],
            context=context,
        )


class MemberPipe:
    """A thread writing the member's chunks into a named pipe while DuckDB reads it. On leaving,
    the thread is stopped if DuckDB stopped reading (an error), and the thread's own error (a
    limit, a corrupt ZIP) is raised: it explains a cut-off file better than DuckDB can."""

    def __init__(self, pipe: Path, *parts: Iterable[bytes]) -> None:
        self.pipe = pipe
        self.parts = parts
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write, name=f"unzip {pipe.name}", daemon=True)

    def __enter__(self) -> "MemberPipe":
        self.thread.start()
        return self

    def _write(self) -> None:
        try:
            with open(self.pipe, "wb") as out:
                for part in self.parts:
                    for chunk in part:
                        out.write(chunk)
        except BrokenPipeError:
            pass  # the reader stopped: its error is the one to report
        except BaseException as error:  # handed to the reading thread
            self.error = error

    def __exit__(self, kind, value, traceback) -> None:
        if self.thread.is_alive():
            # The reader is done or failed: open and close the read end once, so that a writer still
            # waiting for a reader, or writing to one that left, gets BrokenPipeError and ends.
            os.close(os.open(self.pipe, os.O_RDONLY | os.O_NONBLOCK))
        self.thread.join()
        if self.error is not None:
            raise self.error
