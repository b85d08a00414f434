"""Stage and validate: every fetched body unzipped, parsed and checked into a Parquet batch outside
the warehouse lock (flows/pipeline/flat_file.py does one file), each as soon as it has arrived;
nothing is loaded if any fails."""

import hashlib
import logging
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flows import shutdown
from flows.config import Settings
from flows.genesis.archive import ArchivedResponse
from flows.genesis.request import TableRequest
from flows.limits import DEFAULT_LIMITS, Limits
from flows.pipeline.content import ContentDigest, loaded_content
from flows.pipeline.flat_file import check_line_lengths, interrupt_staging, stage_flat_file
from flows.pipeline.flat_zip import stage_flat_zip
from warehouse import queries
from warehouse.batch import Batch, Content, FetchRecord, RawResponse
from warehouse.connection import open_warehouse

if TYPE_CHECKING:  # not imported at run time: `exportwatch load` needs no GENESIS client (httpx)
    from flows.pipeline.fetch import FetchedRequest

log = logging.getLogger(__name__)


def staging_root(settings: Settings) -> Path:
    """The scratch folder of this warehouse's runs, named after the warehouse file (two warehouses
    in one folder never share it) and marked as exportwatch's own (flows.owned_folder)."""
    path = settings.warehouse.path
    return path.with_name(path.name + ".staging")


@dataclass(frozen=True)
class LoadedBefore:
    """What the raw layer held for some requests before a run fetched them: the bodies loaded
    (sha256, request key) and the flat file contents loaded per request key. The run holds the
    update lock, so nothing is loaded meanwhile."""

    bodies: dict[tuple[str, str], int]  # (sha256, request key): size in bytes
    contents: dict[str, list[Content]]

    def holds(self, response: ArchivedResponse, request_key: str, limits: Limits = DEFAULT_LIMITS) -> bool:
        """Whether the response's data is loaded already: the same body, or the same flat file in
        other bytes (flows/pipeline/content.py). Loading it again would write nothing."""
        context = dict(request=request_key, archived=str(response.path))
        return (response.sha256, request_key) in self.bodies or loaded_content(
            response, self.contents.get(request_key, []), context=context, limits=limits
        )

    def holds_file(self, path: Path, request_key: str) -> bool:
        """Whether a local file's bytes are a body or a flat file loaded for this request already:
        then they are in the archive already, as that body or inside it. Hashed only when its size
        is one of theirs."""
        size = path.stat().st_size
        same_size = {sha256 for (sha256, key), length in self.bodies.items() if key == request_key and length == size}
        same_size |= {content.sha256 for content in self.contents.get(request_key, []) if content.size_bytes == size}
        if not same_size:
            return False
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() in same_size


NOTHING_LOADED = LoadedBefore({}, {})


def loaded_before(settings: Settings, request_keys: list[str]) -> LoadedBefore:
    """One short read of the warehouse: what it holds for these request keys."""
    if not request_keys:
        return NOTHING_LOADED
    keys = sorted(set(request_keys))
    with open_warehouse(settings.warehouse.location, lock_timeout=settings.warehouse.lock_timeout_seconds) as con:
        return LoadedBefore(*queries.loaded_responses(con, keys))


# Staging a small response is mostly fixed per-file cost, which a second one's DuckDB work can
# overlap: measured 4 files of 25,000 rows in 0.74-0.83 s two at a time against 0.96-1.01 s one
# by one. Big ones keep DuckDB's threads and the whole memory limit.
SMALL_RESPONSE_BYTES = 8 << 20  # a ZIP of about 1M values
SMALL_RESPONSES_AT_ONCE = 2
# Staged in an in-memory scratch database (warehouse/staging.py): far below any share of the memory limit.
IN_MEMORY_RESPONSE_BYTES = 1 << 20  # a ZIP of about 130,000 values
INTERRUPT_EVERY_SECONDS = 0.05


class ResponseStager:
    """Stages each response as soon as it is handed over (by fetch_planned, as each request
    arrives), while the run's other requests are still in flight: a backfill's staging then
    overlaps its downloads instead of following them. Small responses `small_at_once` at a time,
    each with that share of the memory limit, a big one alone with all of it, in the order they came.

    Leaving the `with` block on an error (a failed request, Ctrl-C) cancels what has not started
    and interrupts DuckDB in the staging threads, so the run stops within moments, not after the
    read of a big file."""

    def __init__(
        self,
        staging_dir: Path,
        memory_limit: str = "700MB",
        limits: Limits = DEFAULT_LIMITS,
        read_loaded: Callable[[], LoadedBefore] = lambda: NOTHING_LOADED,
        small_at_once: int = SMALL_RESPONSES_AT_ONCE,
    ) -> None:
        self.staging_dir = staging_dir
        self.memory_limit = memory_limit
        self.limits = limits
        self.read_loaded = read_loaded
        self.loaded_before: LoadedBefore | None = None
        self.loaded_lock = threading.Lock()
        self.at_once = small_at_once
        self.shares = MemoryShares(small_at_once)
        self.pool = ThreadPoolExecutor(max_workers=small_at_once, thread_name_prefix="stage")
        self.jobs: dict[tuple[str, str], Future[Batch | None]] = {}
        self.threads: set[int] = set()
        self.lock = threading.Lock()

    def __enter__(self) -> "ResponseStager":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.shares.stop()
            self.pool.shutdown(wait=False, cancel_futures=True)
            # Again until every staging has ended: an interrupt between two of its queries is lost.
            # Asked by done(), not by wait()'s answer: wait() counts a job that shutdown cancelled
            # as not done for ever (no worker takes it from the queue to mark it), which hung here.
            while True:
                with self.lock:
                    interrupt_staging(self.threads)
                    running = [job for job in self.jobs.values() if not job.done()]
                if not running:
                    break
                wait(running, timeout=INTERRUPT_EVERY_SECONDS)
        self.pool.shutdown(wait=True)

    def submit(self, item: "FetchedRequest") -> None:
        """Start staging the responses of one fetched request (safe from any thread)."""
        request = item.planned.request
        for response in item.outcome.responses:
            with self.lock:
                if (request.key, response.sha256) not in self.jobs:
                    self.jobs[request.key, response.sha256] = self.pool.submit(self._stage, request, response)

    def batches(self, fetched: "list[FetchedRequest]") -> list[Batch]:
        """The batches of these requests in request order (staging what was not handed over yet);
        the first failure in request order is raised."""
        for item in fetched:
            self.submit(item)
        batches = []
        for item in fetched:
            for response in item.outcome.responses:
                batch = self.jobs[item.planned.request.key, response.sha256].result()
                if batch is not None:
                    batches.append(batch)
        return batches

    def loaded(self) -> LoadedBefore:
        """What the raw layer held, read when the first response needs it: a run whose requests
        are all unchanged (the usual scheduled run) does not read it."""
        with self.loaded_lock:
            if self.loaded_before is None:
                self.loaded_before = self.read_loaded()
            return self.loaded_before

    def _stage(self, request: TableRequest, response: ArchivedResponse) -> Batch | None:
        shutdown.check()
        if self.loaded().holds(response, request.key, self.limits):
            log.info("%s: the same data was loaded before; skipping it", request.describe())
            return None
        parts = 1 if response.size_bytes <= SMALL_RESPONSE_BYTES else self.at_once
        sharing = self.at_once // parts  # how many stagings share the memory limit and the cores
        with self.shares.held(parts):
            with self.lock:
                self.threads.add(threading.get_ident())
            try:
                return stage_response(
                    response,
                    request.table,
                    request.language,
                    request.key,
                    request.describe(),
                    self.staging_dir,
                    memory_share(self.memory_limit, sharing),
                    self.limits,
                    goods_variable=request.goods_variable,
                    years=(request.startyear, request.endyear),
                    threads=thread_share(sharing),
                )
            finally:
                with self.lock:
                    self.threads.discard(threading.get_ident())


class MemoryShares:
    """Equal shares of the staging memory limit, taken in the order asked for (a big response waiting
    for all of them is not overtaken by small ones)."""

    def __init__(self, total: int) -> None:
        self.free = total
        self.queue: deque[object] = deque()
        self.stopped = False
        self.condition = threading.Condition()

    @contextmanager
    def held(self, parts: int) -> Iterator[None]:
        ticket = object()
        with self.condition:
            self.queue.append(ticket)
            try:
                while not (self.stopped or (self.queue[0] is ticket and self.free >= parts)):
                    self.condition.wait(shutdown.WAKE_SECONDS)
                    shutdown.check()
            finally:
                self.queue.remove(ticket)
                self.condition.notify_all()
            if self.stopped:
                raise shutdown.Stopped("Stopped: the run ended before this response was staged.")
            self.free -= parts
        try:
            yield
        finally:
            with self.condition:
                self.free += parts
                self.condition.notify_all()

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()


def fetch_records(fetched: "list[FetchedRequest]") -> list[FetchRecord]:
    """What the load remembers of each request GENESIS answered with data (its fetch state)."""
    records = []
    for item in fetched:
        if item.outcome.unchanged:
            continue
        request = item.planned.request
        last = item.outcome.responses[-1] if item.outcome.responses else None
        records.append(
            FetchRecord(
                request.key,
                request.table,
                request.form(),
                last.fetched_at if last else datetime.now(UTC).replace(tzinfo=None),
                last.sha256 if last else None,
            )
        )
    return records


def stage_responses(
    fetched: "list[FetchedRequest]",
    staging_dir: Path | None = None,
    memory_limit: str = "700MB",
    limits: Limits = DEFAULT_LIMITS,
    *,
    stager: ResponseStager | None = None,
) -> tuple[list[Batch], list[FetchRecord]]:
    """The validated batches of every response in request order, and the fetch records. With
    `stager`, the run's own that fetch_planned fed (it skips what was loaded before), its batches;
    without, a stager of its own stages them all now. Any failure raises (the first in request
    order) before anything is loaded."""
    if stager is not None:
        return stager.batches(fetched), fetch_records(fetched)
    # All sizes are known here: two at a time only when all are small, else one by one with all the memory.
    responses = [response for item in fetched for response in item.outcome.responses]
    small = len(responses) > 1 and all(response.size_bytes <= SMALL_RESPONSE_BYTES for response in responses)
    with ResponseStager(staging_dir, memory_limit, limits, small_at_once=SMALL_RESPONSES_AT_ONCE if small else 1) as own:
        return own.batches(fetched), fetch_records(fetched)


def thread_share(parts: int) -> int | None:
    """One of `parts` equal shares of the machine's cores for DuckDB (at least one); None for all
    of them. Two small stagings with one core each: 0.22 s of CPU for 37,728 rows, against 0.32-0.35
    s with both cores each (benchmarks/README)."""
    if parts == 1:
        return None
    return max(1, (os.cpu_count() or 1) // parts)


def memory_share(memory_limit: str, parts: int) -> str:
    """One of `parts` equal shares of a DuckDB memory limit such as "700MB" (config checks the form)."""
    if parts == 1:
        return memory_limit
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", memory_limit.strip()).groups()
    return f"{float(number) / parts:g}{unit}"


def stage_response(
    response: ArchivedResponse,
    table: str,
    language: str,
    request_key: str,
    describe: str,
    staging_dir: Path,
    memory_limit: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    goods_variable: str = "",
    years: tuple[int, int] | None = None,
    threads: int | None = None,
) -> Batch:
    """A ZIP (or a bare flat file) from the archive, staged as a validated Parquet batch; with
    `goods_variable` (what the request selected by) the file's goods must be in that classification,
    with `years` (first, last: what the request asked for) its values of those years. `threads`: the
    staging's share of the machine (None: all of it)."""
    context = dict(table=table, request=describe, archived=str(response.path))
    parquet = staging_dir / f"{response.sha256}.parquet"
    staged = dict(table_code=table, language=language, context=context, memory_limit=memory_limit, goods_variable=goods_variable)
    staged.update(years=years, threads=threads, in_memory=response.size_bytes <= IN_MEMORY_RESPONSE_BYTES)
    if response.kind == "csv":
        check_line_lengths(response.path, limits.line_bytes, context)
        rows = stage_flat_file(response.path, parquet, line_bytes=limits.line_bytes, **staged)
        content = Content(response.sha256, None, response.size_bytes)
    else:  # unpacked as DuckDB reads it, not to disk first (flows/pipeline/flat_zip.py)
        digest = ContentDigest()
        rows = stage_flat_zip(
            response.path, parquet, work_dir=staging_dir, name=response.sha256, limits=limits, digest=digest, **staged
        )
        content = digest.content()
    raw = RawResponse(
        request_key=request_key,
        table_code=table,
        endpoint=response.endpoint,
        request=response.form,
        fetched_at=response.fetched_at,
        sha256=response.sha256,
        size_bytes=response.size_bytes,
        content_type=response.content_type,
        archive_path=response.relative_path,
        content=content,
    )
    return Batch(raw=raw, observations=parquet, rows=rows)
