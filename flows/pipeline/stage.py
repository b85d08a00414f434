"""Stage and validate: every fetched body unzipped, parsed and checked into a Parquet batch outside
the warehouse lock (flows/pipeline/flat_file.py does one file); nothing is loaded if any fails."""

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flows.config import Settings
from flows.genesis.archive import ArchivedResponse
from flows.genesis.request import TableRequest
from flows.limits import DEFAULT_LIMITS, Limits
from flows.pipeline.content import ContentDigest, loaded_content
from flows.pipeline.flat_file import check_line_lengths, stage_flat_file
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


def already_loaded(settings: Settings, responses: list[tuple[ArchivedResponse, str]]) -> set[tuple[str, str]]:
    """(sha256, request key) of the (response, request key) pairs whose data is in the raw layer
    already: the same body, or the same flat file in other bytes (flows/pipeline/content.py).
    Loading them again would write nothing."""
    if not responses:
        return set()
    with open_warehouse(settings.warehouse.location, lock_timeout=settings.warehouse.lock_timeout_seconds) as con:
        bodies = queries.loaded_responses(con, [response.sha256 for response, _ in responses])
        contents = queries.loaded_contents(con, sorted({key for _, key in responses}))
    found = set()
    for response, key in responses:
        context = dict(request=key, archived=str(response.path))
        if (response.sha256, key) in bodies or loaded_content(
            response, contents.get(key, []), context=context, limits=settings.limits
        ):
            found.add((response.sha256, key))
    return found


# Staging a small response is mostly fixed per-file cost in Python (pandera compiling its checks),
# which a second one's DuckDB work can overlap: measured 4 files of 25,000 rows in 0.74-0.83 s two
# at a time against 0.96-1.01 s one by one. Big ones keep DuckDB's threads and the whole memory limit.
SMALL_RESPONSE_BYTES = 8 << 20  # a ZIP of about 1M values
SMALL_RESPONSES_AT_ONCE = 2


def stage_responses(
    fetched: "list[FetchedRequest]",
    staging_dir: Path,
    memory_limit: str = "700MB",
    skip: set[tuple[str, str]] = frozenset(),
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[Batch], list[FetchRecord]]:
    """Unzip, parse and validate every response outside the warehouse lock (except those in `skip`,
    already loaded); small responses two at a time, each with half the memory limit. Any failure
    raises (the first in request order) before anything is loaded."""
    to_stage: list[tuple[TableRequest, ArchivedResponse]] = []
    records: list[FetchRecord] = []
    for item in fetched:
        request = item.planned.request
        for response in item.outcome.responses:
            if (response.sha256, request.key) in skip:
                log.info("%s: the same data was loaded before; skipping it", request.describe())
                continue
            to_stage.append((request, response))
        if not item.outcome.unchanged:
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
    small = len(to_stage) > 1 and all(response.size_bytes <= SMALL_RESPONSE_BYTES for _, response in to_stage)
    at_once = SMALL_RESPONSES_AT_ONCE if small else 1
    limit = memory_share(memory_limit, at_once)

    def stage(job: tuple[TableRequest, ArchivedResponse]) -> Batch:
        request, response = job
        return stage_response(
            response,
            request.table,
            request.language,
            request.key,
            request.describe(),
            staging_dir,
            limit,
            limits,
            goods_variable=request.goods_variable,
        )

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        batches = list(pool.map(stage, to_stage))
    return batches, records


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
) -> Batch:
    """A ZIP (or a bare flat file) from the archive, staged as a validated Parquet batch; with
    `goods_variable` (what the request selected by) the file's goods must be in that classification."""
    context = dict(table=table, request=describe, archived=str(response.path))
    parquet = staging_dir / f"{response.sha256}.parquet"
    staged = dict(table_code=table, language=language, context=context, memory_limit=memory_limit, goods_variable=goods_variable)
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
