"""HTTP client for GENESIS-Online: POST with form bodies, credentials in headers, JSON status
envelopes with HTTP 200, ZIP flat files, background jobs. Every response is archived first and
classified after, so nothing the server sent is lost even when it is unusable."""

import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import httpx

from flows import shutdown
from flows.errors import GenesisBusy, GenesisError, GenesisStatusError, GenesisTransportError, TableTooBig
from flows.genesis.archive import ArchivedResponse, ResponseArchive, sniff_kind
from flows.genesis.credentials import Credentials
from flows.genesis.request import TableRequest
from flows.genesis.retry_budget import RetryBudget
from flows.limits import DEFAULT_LIMITS, RATIO_CHECKED_FROM_BYTES, Limits, exceeded, human_size

log = logging.getLogger(__name__)

RETRYABLE_HTTP = {429, 500, 502, 503, 504}
STATUS_NO_NEWER_DATA = 50
STATUS_TOO_BIG = 98
STATUS_JOB_CREATED = 99
STATUS_NO_OBJECTS = 104
STATUS_TOO_MANY_REQUESTS = 6
STATUS_PARAMETER_ADJUSTED = 22
GENESIS_TIMEZONE = ZoneInfo("Europe/Berlin")  # `stand` is read as German local time
_JOB_NAME = re.compile(r"(\S+_\d+)\s*$")
# user[:password]@ after the scheme, up to the last @ before the path (a password may hold an @)
_USERINFO = re.compile(r"(?<=://)([^/?#\s]*)@")

# Held around every HTTP request the client sends: GENESIS allows 3 parallel requests per user.
RequestSlot = Callable[[], AbstractContextManager[object]]


def local_request_slot(max_in_flight: int) -> RequestSlot:
    """At most max_in_flight requests at once from this process (flows.orchestration.request_slots adds the
    limit that holds across processes). Waiting for a slot ends when a stop is requested."""
    semaphore = threading.BoundedSemaphore(max_in_flight)

    @contextmanager
    def slot() -> Iterator[None]:
        while not semaphore.acquire(timeout=shutdown.WAKE_SECONDS):
            shutdown.check()
        try:
            yield
        finally:
            semaphore.release()

    return slot


def redact_url(text: str) -> str:
    """The text with the user information of any URL in it hidden: user:***@, or ***@ for a user
    name alone (it may be a token)."""
    return _USERINFO.sub(lambda m: m.group(1).split(":", 1)[0] + ":***@" if ":" in m.group(1) else "***@", text)


def split_userinfo(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """(the URL without user information, HTTP Basic auth from it). The user information travels
    only in the Authorization header, so no URL that httpx logs or puts in an error holds it."""
    match = _USERINFO.search(url)
    if not match:
        return url, None
    user, _, password = match.group(1).partition(":")
    return url[: match.start()] + url[match.end() :], httpx.BasicAuth(unquote(user), unquote(password))


@dataclass(frozen=True)
class RetryPolicy:
    """How a request is retried: at most `attempts` times, with exponential back-off and jitter,
    while the run's retry budget lasts (shared by all its requests, see RetryBudget). A
    Retry-After of GENESIS is honoured up to max_retry_after_seconds; beyond it the run fails."""

    attempts: int = 10
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 60.0
    jitter: float = 0.5
    budget_seconds: float = 20.0  # a manual run's; see flows.config for the scheduled one
    max_retry_after_seconds: float = 300.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        base = min(self.backoff_seconds * 2**attempt, self.max_backoff_seconds)
        base *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(base, retry_after or 0.0)


@dataclass(frozen=True)
class JobPolicy:
    poll_seconds: float = 5.0
    timeout_seconds: float = 3000.0


@dataclass
class TableOutcome:
    """What a table request produced: data files, or GENESIS' word that nothing changed."""

    responses: list[ArchivedResponse] = field(default_factory=list)
    unchanged: bool = False


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after  # seconds GENESIS asked us to wait (Retry-After), if it did


def envelope(response: ArchivedResponse, *, table: str | None = None, request: str | None = None) -> dict:
    """The JSON status envelope of a response; a body that is not a JSON object is an error."""
    context = dict(table=table, request=request or response.endpoint, archived=str(response.path))
    try:
        body = json.loads(response.path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise GenesisError(f"GENESIS sent a JSON body that does not parse ({error})", **context) from None
    if not isinstance(body, dict):
        raise GenesisError(f"GENESIS sent JSON that is not a status envelope (a {type(body).__name__})", **context)
    status = body.get("Status")
    if isinstance(status, dict) and _status_code(status.get("Code", -1)) is None:
        code = json.dumps(status.get("Code"), ensure_ascii=False)
        shown = code if len(code) <= 40 else code[:40] + "..."
        raise GenesisError(f"GENESIS sent a status code that is not an integer: {shown}", **context)
    return body


def status_of(body: dict) -> tuple[int, str, str]:
    """(code, content, type) of an envelope that envelope() accepted."""
    status = body.get("Status")
    if isinstance(status, dict):
        return _status_code(status.get("Code", -1)), str(status.get("Content", "")), str(status.get("Type", ""))
    return -1, str(status or body), ""


def _status_code(value: object) -> int | None:
    """A status code as GENESIS sends it (an integer, or an integer as text); None if it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        return int(value)
    return None


class GenesisClient:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        archive: ResponseArchive,
        *,
        http: httpx.Client | None = None,
        timeout_seconds: float = 60.0,
        retry: RetryPolicy = RetryPolicy(),
        job: JobPolicy = JobPolicy(),
        max_in_flight: int = 3,
        request_slot: RequestSlot | None = None,  # default: local_request_slot(max_in_flight)
        sleep: Callable[[float], None] = shutdown.wait,
        scheduled: bool = False,  # a run started by a schedule: the next one will try again
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        base_url, self._url_auth = split_userinfo(base_url)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._credentials = credentials
        self.archive = archive
        self._http = http or httpx.Client(timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 15.0)))
        self.retry = retry
        self.budget = RetryBudget(retry.budget_seconds)
        self.job = job
        self._request_slot = request_slot or local_request_slot(max_in_flight)
        self._sleep = sleep
        self._scheduled = scheduled
        self.limits = limits
        self._count_lock = threading.Lock()
        self.requests_sent = 0

    def close(self) -> None:
        self._http.close()

    @property
    def can_run_jobs(self) -> bool:
        return not self._credentials.is_token

    # -- one POST, archived, retried -----------------------------------------------------------

    def post(
        self, endpoint: str, form: dict[str, str], *, table: str | None = None, describe: str | None = None
    ) -> ArchivedResponse:
        """POST form to endpoint; retry transport faults, 429/5xx and status 6 with back-off while
        the attempts and the run's retry budget last."""
        describe = describe or f"{endpoint} name={form.get('name', '')}"
        failing: int | None = None  # this request's handle in the retry budget once it failed
        attempt = 0
        try:
            while True:
                attempt += 1
                shutdown.check()
                began = self.budget.now()
                try:
                    return self._post_once(endpoint, form, table=table, describe=describe)
                except _Retry as retry:
                    if failing is None:
                        failing = self.budget.start(began)
                    delay = self._delay_before_retry(attempt, retry, table=table, describe=describe)
                    if delay is None:
                        raise GenesisTransportError(
                            f"no usable answer after {attempt} attempt{'s' if attempt > 1 else ''}"
                            + (
                                ""
                                if attempt == self.retry.attempts
                                else f" ({self.retry.budget_seconds:g} s retry budget used up)"
                            )
                            + f"; last: {retry.reason}",
                            table=table,
                            request=describe,
                            hint=self._unavailable_hint(),
                        ) from None
                    # INFO, not WARNING: a retry that helps is no news, and one that does not ends in
                    # the run's one error line, which counts the attempts (-v shows each retry).
                    log.info(
                        "%s: %s; retrying in %.1f s (attempt %d of %d)",
                        describe,
                        retry.reason,
                        delay,
                        attempt + 1,
                        self.retry.attempts,
                    )
                    self._sleep(delay)
        finally:
            if failing is not None:
                self.budget.finish(failing)

    def _delay_before_retry(self, attempt: int, retry: _Retry, *, table: str | None, describe: str) -> float | None:
        """Seconds to wait before the next attempt, None to give up (attempts or budget spent).
        Raises GenesisBusy when GENESIS asks to wait longer than the cap or the rest of the budget."""
        remaining = self.budget.remaining()
        asked = retry.retry_after
        if asked is not None and (asked > self.retry.max_retry_after_seconds or asked > remaining):
            limit = (
                f"more than [genesis] max_retry_after_seconds ({self.retry.max_retry_after_seconds:g} s)"
                if asked > self.retry.max_retry_after_seconds
                else f"more than the {remaining:.0f} s left of this run's retry budget ({self.retry.budget_seconds:g} s)"
            )
            raise GenesisBusy(
                f"GENESIS is busy ({retry.reason}) and asked to come back in {asked:.0f} s, {_come_back_at(asked)}: {limit}",
                table=table,
                request=describe,
                hint="Run again after that time." if not self._scheduled else "The next scheduled run will try again.",
            )
        if attempt >= self.retry.attempts or remaining <= 0:
            return None
        return min(self.retry.delay(attempt - 1, asked), remaining)

    def _unavailable_hint(self) -> str:
        where = f"GENESIS at {self.base_url} may be down or overloaded"
        if self._scheduled:
            return f"{where}; the next scheduled run will try again."
        return f"{where}, or unreachable from here: check [genesis] api_url and the network, or run again later."

    def _post_once(self, endpoint: str, form: dict[str, str], *, table: str | None, describe: str) -> ArchivedResponse:
        url = self.base_url + endpoint
        with self._request_slot():
            with self._count_lock:
                self.requests_sent += 1
            try:
                with self._http.stream(
                    "POST", url, data=form, headers=self._credentials.headers(), auth=self._url_auth or httpx.USE_CLIENT_DEFAULT
                ) as response:
                    archived = self.archive.store(
                        bounded_body(response, self.limits, table=table, describe=describe),
                        endpoint=endpoint,
                        form=form,
                        http_status=response.status_code,
                        content_type=response.headers.get("content-type", ""),
                        fetched_at=datetime.now(UTC).replace(tzinfo=None),
                    )
                    retry_after = _retry_after_seconds(response.headers.get("retry-after"))
            except httpx.TimeoutException as error:
                raise _Retry(f"timed out ({type(error).__name__})") from None
            except httpx.TransportError as error:
                raise _Retry(f"connection failed ({type(error).__name__}: {redact_url(str(error))})") from None
        if archived.http_status in RETRYABLE_HTTP:
            raise _Retry(f"HTTP {archived.http_status}", retry_after)
        if archived.http_status != 200:
            raise GenesisError(
                f"GENESIS answered HTTP {archived.http_status}",
                table=table,
                request=describe,
                archived=str(archived.path),
                hint="Check [genesis] api_url in the configuration.",
            )
        if archived.kind == "html":
            raise GenesisError(
                "GENESIS answered an HTML page: endpoint moved or maintenance",
                table=table,
                request=describe,
                archived=str(archived.path),
                hint=f"Check that [genesis] api_url ({self.base_url}) is still the REST endpoint, or try again later.",
            )
        if archived.kind == "json":
            code, content, _ = status_of(envelope(archived, table=table, request=describe))
            if code == STATUS_TOO_MANY_REQUESTS:
                raise _Retry(f"GENESIS status 6 (too many parallel requests): {content}")
        return archived

    # -- services --------------------------------------------------------------------------------

    def logincheck(self) -> tuple[bool, str]:
        response = self.post("helloworld/logincheck", {"language": "de"}, describe="helloworld/logincheck")
        if response.kind != "json":
            raise GenesisError("helloworld/logincheck did not answer JSON", archived=str(response.path))
        body = envelope(response)
        status = str(body.get("Status", ""))
        return "erfolgreich" in status or "successful" in status.lower(), status

    def table_variables(self, table: str, language: str = "de") -> set[str]:
        """The codes of every variable metadata/table lists for a table (nested under Head, Columns,
        Rows, Subtitel and Subheading, as in the recorded answers)."""
        form = {"name": table, "area": "all", "language": language}
        describe = f"metadata/table name={table}"
        response = self.post("metadata/table", form, table=table, describe=describe)
        if response.kind != "json":
            raise GenesisError("metadata/table did not answer JSON", table=table, request=describe, archived=str(response.path))
        body = envelope(response, table=table, request=describe)
        code, content, _ = status_of(body)
        structure = (body.get("Object") or {}).get("Structure") if isinstance(body.get("Object"), dict) else None
        if code != 0 or not isinstance(structure, dict):
            raise GenesisStatusError(
                code, content or "no table structure in the answer", table=table, request=describe, archived=str(response.path)
            )
        return set(_variable_codes(structure))

    def tablefile(self, request: TableRequest, *, stand: datetime | None = None) -> TableOutcome:
        """One dialog request. Raises TableTooBig on status 98 so the caller can split or run a job."""
        form = request.form()
        if stand is not None:
            form["stand"] = format_stand(stand)
        response = self.post("data/tablefile", form, table=request.table, describe=request.describe())
        if response.kind == "zip":
            return TableOutcome([response])
        code, content, kind = (
            status_of(envelope(response, table=request.table, request=request.describe()))
            if response.kind == "json"
            else (-1, "", "")
        )
        context = dict(table=request.table, request=request.describe(), archived=str(response.path))
        if code == STATUS_NO_NEWER_DATA:
            return TableOutcome(unchanged=True)
        if code == STATUS_PARAMETER_ADJUSTED and stand is not None:
            # GENESIS rejected our `stand` and says so instead of sending the file: ask again without it.
            log.warning("%s: GENESIS adjusted a parameter (%s); requesting again without stand", request.describe(), content)
            return self.tablefile(request)
        if code == STATUS_TOO_BIG:
            raise TableTooBig(code, content, **context)
        if code in (90, STATUS_NO_OBJECTS):
            raise GenesisStatusError(
                code,
                content,
                hint="The table or the selection (countries, measures, years) does not exist: check [watchlist].",
                **context,
            )
        if code == 12:
            raise GenesisStatusError(code, content, hint="The credentials may not use this service.", **context)
        if response.kind != "json":
            raise GenesisError(
                f"GENESIS answered neither a ZIP file nor a JSON status envelope ({response.content_type or 'no content type'}, "
                f"{response.size_bytes} bytes)",
                **context,
            )
        raise GenesisStatusError(code, content or "unexpected status", **context)

    def tablefile_job(self, request: TableRequest) -> TableOutcome:
        """Background job: job=true -> status 99 with the job name -> poll catalogue/results -> data/resultfile."""
        if not self.can_run_jobs:
            raise GenesisError(
                "the table is too big for a dialog request and a token cannot start background jobs",
                table=request.table,
                request=request.describe(),
                hint="Set GENESIS_USERNAME and GENESIS_PASSWORD to allow jobs.",
            )
        form = request.form() | {"job": "true"}
        started = self.post("data/tablefile", form, table=request.table, describe=request.describe() + " job=true")
        code, content, _ = (
            status_of(envelope(started, table=request.table, request=request.describe()))
            if started.kind == "json"
            else (-1, "", "")
        )
        context = dict(table=request.table, request=request.describe() + " job=true", archived=str(started.path))
        if code != STATUS_JOB_CREATED or not _JOB_NAME.search(content):
            raise GenesisStatusError(code, content or "no job was created", **context)
        job_name = _JOB_NAME.search(content).group(1)
        self._wait_for_job(job_name, request)
        result_form = request.form() | {"name": job_name}
        result = self.post("data/resultfile", result_form, table=request.table, describe=f"data/resultfile name={job_name}")
        if result.kind != "zip":
            code, content, _ = status_of(envelope(result, table=request.table)) if result.kind == "json" else (-1, "", "")
            raise GenesisStatusError(
                code,
                content or "no file",
                table=request.table,
                request=f"data/resultfile name={job_name}",
                archived=str(result.path),
            )
        return TableOutcome([result])

    def _wait_for_job(self, job_name: str, request: TableRequest) -> None:
        deadline = time.monotonic() + self.job.timeout_seconds
        form = {"selection": job_name, "area": "user", "pagelength": "1"}
        while True:
            polled = self.post("catalogue/results", form, table=request.table, describe=f"catalogue/results selection={job_name}")
            body = envelope(polled, table=request.table)
            code, content, _ = status_of(body)
            if code == 0 and any(item.get("Code") == job_name for item in body.get("List") or []):
                return
            if code not in (0, STATUS_NO_OBJECTS):
                raise GenesisStatusError(
                    code,
                    content,
                    table=request.table,
                    request=f"catalogue/results selection={job_name}",
                    archived=str(polled.path),
                )
            if time.monotonic() >= deadline:
                raise GenesisError(
                    f"background job {job_name} not finished after {self.job.timeout_seconds:g} s",
                    table=request.table,
                    request=request.describe(),
                    hint="The result stays on the server; a later run starts a new job. Raise [genesis] job_timeout_seconds for very big tables.",
                )
            self._sleep(self.job.poll_seconds)


def bounded_body(response: httpx.Response, limits: Limits, *, table: str | None, describe: str) -> Iterator[bytes]:
    """The body as it streams in, after Content-Encoding is undone (a 1.5 MB gzip answer can
    unpack to 1.5 GB), stopped beyond [limits] http_body_bytes, or json_envelope_bytes once the
    first bytes show a JSON envelope, or when undoing the encoding inflates it beyond
    http_encoding_ratio. The archive deletes what it wrote of a body stopped here."""
    limit, setting, head, size = limits.http_body_bytes, "http_body_bytes", b"", 0
    content_type = response.headers.get("content-type", "")
    encoding = response.headers.get("content-encoding", "")
    for chunk in response.iter_bytes():
        if len(head) < 64:
            head += chunk[: 64 - len(head)]
            if sniff_kind(head, content_type) == "json" and limits.json_envelope_bytes < limit:
                limit, setting = limits.json_envelope_bytes, "json_envelope_bytes"
        size += len(chunk)
        if size > limit:
            what = f"GENESIS answered more than {human_size(limit)}" + (
                f" (after undoing Content-Encoding {encoding})" if encoding else ""
            )
            raise GenesisError(
                exceeded(what, setting, human_size(limit)) + "; the answer was not kept", table=table, request=describe
            )
        on_the_wire = max(response.num_bytes_downloaded, 1)
        if encoding and size >= RATIO_CHECKED_FROM_BYTES and size > limits.http_encoding_ratio * on_the_wire:
            what = (
                f"GENESIS answered {human_size(on_the_wire)} that undoing Content-Encoding {encoding} "
                f"inflated to more than {size / on_the_wire:,.0f} times that"
            )
            raise GenesisError(
                exceeded(what, "http_encoding_ratio", f"{limits.http_encoding_ratio:g}") + "; the answer was not kept",
                table=table,
                request=describe,
            )
        yield chunk


def fetch_table(client: GenesisClient, request: TableRequest, *, stand: datetime | None = None) -> TableOutcome:
    """Fetch a request of any size: dialog first; if too big, a job (user + password) or halves (token)."""
    try:
        return client.tablefile(request, stand=stand)
    except TableTooBig:
        if client.can_run_jobs:
            return client.tablefile_job(request)
        parts = request.split()
        if not parts:
            raise
        log.info("%s is too big for one dialog request; splitting it in two", request.describe())
        outcomes = [fetch_table(client, part, stand=stand) for part in parts]
        return TableOutcome(
            responses=[response for outcome in outcomes for response in outcome.responses],
            unchanged=all(outcome.unchanged for outcome in outcomes),
        )


def _variable_codes(node: object, depth: int = 0) -> list[str]:
    """Every "Code" in a metadata structure (dicts and lists of them), depth-bounded."""
    if depth > 20:
        return []
    if isinstance(node, list):
        return [code for item in node for code in _variable_codes(item, depth + 1)]
    if not isinstance(node, dict):
        return []
    own = [str(node["Code"])] if isinstance(node.get("Code"), str) else []
    return own + [
        code for value in node.values() if isinstance(value, (dict, list)) for code in _variable_codes(value, depth + 1)
    ]


def format_stand(moment: datetime) -> str:
    """A naive UTC timestamp as GENESIS' `stand` (dd.mm.yyyy hh:mm, German local time)."""
    return moment.replace(tzinfo=UTC).astimezone(GENESIS_TIMEZONE).strftime("%d.%m.%Y %H:%M")


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return None if math.isnan(seconds) else max(seconds, 0.0)


def _come_back_at(seconds: float) -> str:
    try:
        return f"at {datetime.now(UTC) + timedelta(seconds=seconds):%Y-%m-%d %H:%M:%S} UTC"
    except OverflowError:
        return "at no date this calendar knows"
