"""The update pipeline as plain functions: plan -> fetch -> stage and validate -> load -> report.

Prefect flows (flows/update_trade.py) run these same functions as tasks by passing `step`; tests
call them directly. Nothing here holds the warehouse open longer than one short read or one load.
"""

import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from flows.config import Settings, resolve_countries
from flows.errors import ExportwatchError, ValidationFailed
from flows.genesis.archive import ArchivedResponse, ResponseArchive
from flows.genesis.client import GenesisClient, JobPolicy, RetryPolicy, TableOutcome, fetch_table
from flows.genesis.credentials import Credentials
from flows.genesis.flatfile import check_line_lengths, extract_flat_csv, stage_flat_file
from flows.genesis.request import TableRequest, chunk_start, plan_years
from flows.limits import DEFAULT_LIMITS, Limits, shortened
from flows.owned_folder import empty_owned, owned_folder
from flows.run_lock import update_lock
from flows.run_origin import RunOrigin
from warehouse import queries
from warehouse.batch import Batch, FetchRecord, RawResponse
from warehouse.connection import WarehouseLockedError, open_warehouse
from warehouse.errors import WarehouseError
from warehouse.load import load, record_quality_issues, record_run
from warehouse.priority_goods import priority_goods

log = logging.getLogger(__name__)
# Progress of a run as log records with a `progress` attribute (done, total); the CLI draws a bar.
progress_log = logging.getLogger("flows.progress")
T = TypeVar("T")
Step = Callable[[Callable[..., T]], Callable[..., T]]


def run_directly(fn: Callable[..., T]) -> Callable[..., T]:
    return fn


@dataclass(frozen=True)
class PlannedRequest:
    request: TableRequest
    stand: datetime | None  # send as `stand`: GENESIS answers 50 if nothing changed since


@dataclass(frozen=True)
class FetchedRequest:
    planned: PlannedRequest
    outcome: TableOutcome


@dataclass
class UpdateReport:
    run_id: str
    status: str  # loaded | unchanged
    requests: int
    rows_inserted: int = 0
    rows_closed: int = 0
    load_ts: datetime | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)  # a sample: the latest 50 of each kind
    alerts: Any = None  # flows.alerts.process.AlertOutcome, filled in by the flow
    # Of the rows inserted: first publications (replacing nothing or the placeholder ...), revisions
    # of published values, and changes of the quality flag alone (see warehouse/queries/change_counts.sql).
    new_count: int = 0
    revised_count: int = 0
    quality_count: int = 0

    @property
    def new(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["change"] == "new"]

    @property
    def revised(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["change"] == "revised"]


def staging_root(settings: Settings) -> Path:
    """The scratch folder of this warehouse's runs, named after the warehouse file (two warehouses
    in one folder never share it) and marked as exportwatch's own (flows.owned_folder)."""
    path = settings.warehouse.path
    return path.with_name(path.name + ".staging")


def discard_leftovers(settings: Settings) -> None:
    """Scratch files of runs that were killed. Called under the update lock, so no other run of this
    warehouse uses the staging folder; the archive may be shared, so only idle partial downloads go."""
    empty_owned(staging_root(settings))
    ResponseArchive(settings.warehouse.archive_dir).discard_partial()


def build_client(
    settings: Settings,
    credentials: Credentials,
    *,
    origin: RunOrigin = RunOrigin.MANUAL,
    budget_seconds: float | None = None,
    **overrides: Any,
) -> GenesisClient:
    """A client for one run. Its retry budget is the manual or the scheduled one by `origin`, or
    `budget_seconds` where given."""
    g = settings.genesis
    if budget_seconds is None:
        budget_seconds = g.retry_budget_seconds if origin.attended else g.scheduled_retry_budget_seconds
    retry = RetryPolicy(
        attempts=g.retry_attempts,
        backoff_seconds=g.retry_backoff_seconds,
        budget_seconds=budget_seconds,
        max_retry_after_seconds=g.max_retry_after_seconds,
    )
    return GenesisClient(
        g.api_url,
        credentials,
        ResponseArchive(settings.warehouse.archive_dir),
        timeout_seconds=g.timeout_seconds,
        retry=retry,
        job=JobPolicy(poll_seconds=g.job_poll_seconds, timeout_seconds=g.job_timeout_seconds),
        max_in_flight=g.max_in_flight,
        scheduled=origin is RunOrigin.SCHEDULE,
        limits=settings.limits,
        **overrides,
    )


# -- plan ----------------------------------------------------------------------------------------


PRIORITY_GOODS_MEASURES = ("WERTA", "WERTE")


def table_templates(settings: Settings, countries: list[str] | None) -> list[tuple[TableRequest, int]]:
    """(request template, first year) for the watchlist table and every [[tables]] entry."""
    w = settings.watchlist
    language = settings.genesis.language
    templates = [(TableRequest(w.table, resolve_countries(countries or w.countries), tuple(w.measures), 0, 0, language), w.since)]
    for extra in settings.tables:
        template = TableRequest(
            extra.table,
            resolve_countries(countries or extra.countries or w.countries),
            tuple(extra.measures),
            0,
            0,
            language,
            goods_variable=extra.goods_variable,
            goods=tuple(extra.goods) if extra.goods_variable else (),
            goods_estimate=extra.goods_estimate,
        )
        templates.append((template, extra.since or w.since))
    if settings.priority_goods is not None:
        p = settings.priority_goods
        goods = tuple(good.goods_key() for good in priority_goods())
        template = TableRequest(
            p.table,
            resolve_countries(countries or p.countries),
            PRIORITY_GOODS_MEASURES,
            0,
            0,
            language,
            goods_variable=p.goods_variable,
            goods=goods,
            goods_estimate=len(goods),
        )
        templates.append((template, p.since))
    return templates


def plan_update(
    settings: Settings,
    *,
    countries: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    today: date | None = None,
) -> list[PlannedRequest]:
    """The requests of one run: per table the revision window always (with `stand`), older years
    only until they have been fetched once. `since` reaches further back than the configured first
    year: its years are fetched once too, and later runs with it cost what any run costs. With
    `until` (a backfill) exactly the years since..until, without `stand`."""
    today = today or datetime.now(UTC).date()
    templates = table_templates(settings, countries)
    with open_warehouse(settings.warehouse.location, lock_timeout=settings.warehouse.lock_timeout_seconds) as con:
        known = {t.table: (queries.fetch_state(con, t.table), queries.earliest_open_year(con, t.table)) for t, _ in templates}
    limit = settings.genesis.dialog_value_limit
    plan: list[PlannedRequest] = []
    for template, table_since in templates:
        state, open_year = known[template.table]
        if until is not None:
            years = plan_years(template, table_since if since is None else since, min(until, today.year), value_limit=limit)
            plan += [PlannedRequest(r, None) for r in years]
            continue
        window_start = today.year - settings.watchlist.revision_years
        if open_year is not None:
            window_start = min(window_start, open_year)
        # Start the window at a chunk boundary, so the requests (and the stand remembered for
        # them) are the same from run to run, with or without --since; small tables thus ask for
        # their whole history.
        window_start = max(chunk_start(template, window_start, limit), table_since)
        window = plan_years(template, window_start, today.year, value_limit=limit)
        plan += [PlannedRequest(r, state.get(r.key)) for r in window]
        first_year = table_since if since is None else min(since, table_since)
        for r in plan_years(template, first_year, window_start - 1, value_limit=limit):
            if r.key not in state:
                plan.append(PlannedRequest(r, None))
    return plan


# -- fetch ---------------------------------------------------------------------------------------


def fetch_planned(client: GenesisClient, plan: list[PlannedRequest], max_in_flight: int = 3) -> list[FetchedRequest]:
    """Fetch every planned request, at most max_in_flight at once (the client enforces it too)."""
    done = 0

    def fetch(planned: PlannedRequest) -> TableOutcome:
        nonlocal done
        outcome = fetch_table(client, planned.request, stand=planned.stand)
        done += 1
        progress_log.info(
            "fetched %d/%d: %s (%s)",
            done,
            len(plan),
            planned.request.describe(),
            "unchanged" if outcome.unchanged else f"{len(outcome.responses)} file(s)",
            extra={"progress": (done, len(plan))},
        )
        return outcome

    pool = ThreadPoolExecutor(max_workers=max_in_flight)
    try:
        outcomes = list(pool.map(fetch, plan))
    except BaseException:
        # Ctrl-C, SIGTERM or a failed request: do not wait for requests still in flight (up to the HTTP timeout).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [FetchedRequest(p, o) for p, o in zip(plan, outcomes)]


# -- stage and validate --------------------------------------------------------------------------


def already_loaded(settings: Settings, sha256s: list[str]) -> set[tuple[str, str]]:
    """Bodies that are in the raw layer already: loading them again would write nothing."""
    with open_warehouse(settings.warehouse.location, lock_timeout=settings.warehouse.lock_timeout_seconds) as con:
        return queries.loaded_responses(con, sha256s)


# Staging a small response is mostly fixed per-file cost in Python (pandera compiling its checks),
# which a second one's DuckDB work can overlap: measured 4 files of 25,000 rows in 0.74-0.83 s two
# at a time against 0.96-1.01 s one by one. Big ones keep DuckDB's threads and the whole memory limit.
SMALL_RESPONSE_BYTES = 8 << 20  # a ZIP of about 1M values
SMALL_RESPONSES_AT_ONCE = 2


def stage_responses(
    fetched: list[FetchedRequest],
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
                log.info("%s: the same body was loaded before; skipping it", request.describe())
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
    if response.kind == "csv":
        csv_path = response.path
        check_line_lengths(csv_path, limits.line_bytes, context)
    else:
        csv_path = extract_flat_csv(response.path, staging_dir, name=response.sha256, context=context, limits=limits)
    parquet = staging_dir / f"{response.sha256}.parquet"
    try:
        rows = stage_flat_file(
            csv_path,
            parquet,
            table_code=table,
            language=language,
            context=context,
            memory_limit=memory_limit,
            line_bytes=limits.line_bytes,
            goods_variable=goods_variable,
        )
    finally:
        if csv_path != response.path:  # our unpacked copy; the archived body stays
            csv_path.unlink(missing_ok=True)
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
    )
    return Batch(raw=raw, observations=parquet, rows=rows)


# -- load ----------------------------------------------------------------------------------------


def load_batches(
    settings: Settings,
    batches: list[Batch],
    records: list[FetchRecord],
    *,
    run_id: str,
    started_at: datetime,
    requests: int,
) -> UpdateReport:
    load_ts = datetime.now(UTC).replace(tzinfo=None)
    with open_warehouse(
        settings.warehouse.location,
        lock_timeout=settings.warehouse.lock_timeout_seconds,
        memory_limit=settings.warehouse.memory_limit,
    ) as con:
        result = load(con, batches, records, run_id=run_id, started_at=started_at, load_ts=load_ts, requests=requests)
        changes, counts = describe_changes(con, load_ts) if result.rows_inserted else ([], (0, 0, 0))
    status = "loaded" if result.rows_inserted or result.rows_closed else "unchanged"
    return UpdateReport(run_id, status, requests, result.rows_inserted, result.rows_closed, load_ts, changes, None, *counts)


def describe_changes(con: duckdb.DuckDBPyConnection, load_ts: datetime) -> tuple[list[dict[str, Any]], tuple[int, int, int]]:
    """The run report's sample of what the load changed, and the counts of first publications,
    revisions and quality changes. The load has committed by now, so a failure here (out of
    memory, say) costs the report's detail, not the run."""
    try:
        return queries.changes_at(con, load_ts), queries.change_counts(con, load_ts)
    except duckdb.Error as error:
        log.warning("the load committed, but its changes could not be described for the run report: %s", error)
        return [], (0, 0, 0)


def record_unchanged(settings: Settings, *, run_id: str, started_at: datetime, requests: int) -> None:
    """Write a run that found nothing newer to the run log, so `status` answers "did today's job
    run?"; the data tables stay as they were. Losing this row must not fail a run that did nothing:
    a reader holding the file costs the log line, not the run."""
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with open_warehouse(
            settings.warehouse.location,
            lock_timeout=settings.warehouse.lock_timeout_seconds,
            memory_limit=settings.warehouse.memory_limit,
        ) as con:
            con.begin()
            record_run(con, run_id, started_at, now, "unchanged", requests, 0, 0, None)
            con.commit()
    except (duckdb.Error, WarehouseError, OSError) as logging_error:
        log.warning("GENESIS had nothing newer, but the run could not be recorded in the warehouse: %s", logging_error)


def record_failure(settings: Settings, *, run_id: str, started_at: datetime, requests: int, error: Exception) -> None:
    """Write the failed run (and validation failure cases) to the run log; the data tables stay as they were."""
    now = datetime.now(UTC).replace(tzinfo=None)
    # A reader holding the file made the run fail: wait only briefly for it to let go.
    lock_timeout = (
        min(settings.warehouse.lock_timeout_seconds, 2)
        if isinstance(error, WarehouseLockedError)
        else settings.warehouse.lock_timeout_seconds
    )
    try:
        with open_warehouse(settings.warehouse.location, lock_timeout=lock_timeout) as con:
            con.begin()
            record_run(con, run_id, started_at, now, "failed", requests, 0, 0, str(error))
            if isinstance(error, ValidationFailed):
                sha = Path(error.archived or "").stem
                record_quality_issues(
                    con,
                    [
                        (
                            now,
                            run_id,
                            error.table or "",
                            sha,
                            c["schema_name"],
                            c["check_name"],
                            c["column_name"],
                            c["failure_case"],
                            c["row_index"],
                        )
                        for c in error.failure_cases
                    ],
                )
            con.commit()
    except Exception as logging_error:  # the original error matters more than its bookkeeping
        log.error("could not record the failed run in the warehouse: %s", logging_error)


# -- the whole run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: datetime
    staging_dir: Path


@contextmanager
def exclusive_run(settings: Settings, run_id: str | None = None, requests: Callable[[], int] = lambda: 0) -> Iterator[Run]:
    """One run against the warehouse (an update or `exportwatch load`): the update lock, a clean
    scratch folder, and, when it fails with a clear error, the failed run in the run log."""
    run_id = run_id or uuid.uuid4().hex
    with update_lock(settings.warehouse.path, settings.warehouse.lock_timeout_seconds):
        discard_leftovers(settings)
        run = Run(run_id, datetime.now(UTC).replace(tzinfo=None), owned_folder(staging_root(settings)) / run_id)
        try:
            yield run
        except (ExportwatchError, WarehouseLockedError) as error:
            shorten_error(error, settings, run.run_id)
            record_failure(settings, run_id=run.run_id, started_at=run.started_at, requests=requests(), error=error)
            raise
        finally:
            shutil.rmtree(run.staging_dir, ignore_errors=True)


def shorten_error(error: Exception, settings: Settings, run_id: str) -> None:
    """Cut the text of an error to [limits] error_text_chars, for the terminal and update_runs alike
    (foreign text, e.g. a listing of 50,000 ZIP members, can make it megabytes); the whole text goes
    to a file in the archive folder, beside the raw bodies it is about."""
    text = str(error)
    limit = settings.limits.error_text_chars
    if len(text) <= limit:
        return
    full_text = settings.warehouse.archive_dir / "errors" / f"{run_id}.txt"
    try:
        full_text.parent.mkdir(parents=True, exist_ok=True)
        full_text.write_text(text, encoding="utf-8", errors="replace")
    except OSError as write_error:
        log.warning("could not keep the full error text: %s", write_error)
        full_text = None
    error.args = (shortened(text, limit, str(full_text) if full_text else None),)


def run_update(
    settings: Settings,
    client: GenesisClient,
    *,
    countries: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    run_id: str | None = None,
    step: Step = run_directly,
) -> UpdateReport:
    requests_before = client.requests_sent
    with exclusive_run(settings, run_id, requests=lambda: client.requests_sent - requests_before) as run:
        plan = step(plan_update)(settings, countries=countries, since=since, until=until)
        fetched = step(fetch_planned)(client, plan, settings.genesis.max_in_flight)
        requests = client.requests_sent - requests_before
        if all(item.outcome.unchanged for item in fetched):
            log.info("GENESIS reports no newer data for any of %d request(s); nothing to load", len(fetched))
            record_unchanged(settings, run_id=run.run_id, started_at=run.started_at, requests=requests)
            return UpdateReport(run.run_id, "unchanged", requests)
        skip = already_loaded(settings, [r.sha256 for item in fetched for r in item.outcome.responses])
        batches, records = step(stage_responses)(fetched, run.staging_dir, settings.warehouse.memory_limit, skip, settings.limits)
        return step(load_batches)(settings, batches, records, run_id=run.run_id, started_at=run.started_at, requests=requests)
