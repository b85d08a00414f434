"""The demo's GENESIS server (flows/demo/genesis_server.py) with what only the tests need: faults
scripted per request (HTTP errors, stalls, resets, GENESIS status codes, broken or endless bodies),
a log of every request received, and the number of requests in flight.

A Fault is used up by the next request to a matching endpoint; without one the request gets the
demo server's correct answer."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from flows.demo.genesis_server import (
    GenesisHandler,
    GenesisServer,
    GenesisState,
    Observation,
    envelope,
    flat_file,
    zip_bytes,
)

# Status codes only a fault answers with, in GENESIS' words and types.
FAULT_STATUS_TEXT = {
    6: "Es wurden zu viele parallele Anfragen gestellt.",
    22: "Mindestens ein Parameter enthält ungültige Werte. Er wurde angepasst, um den Service starten zu können.: stand",
    -1: "Für die Teiltabelle wurde kein Datenquader gefunden!",
}
FAULT_STATUS_TYPE = {22: "Warnung"}
STREAM_CHUNK = 1 << 20


@dataclass
class Fault:
    """One scripted misbehaviour, used up by the next request to a matching endpoint."""

    endpoint: str = "data/tablefile"
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # replace the whole body
    status_code: int | None = None  # answer this GENESIS status in a JSON envelope (22: only to a request with `stand`)
    status_content: str | None = None  # ... with this Status.Content text (default: GENESIS's own)
    stall_seconds: float = 0.0  # sleep before answering
    # With stall_seconds: stop sleeping as soon as this many requests are in flight (a rendezvous
    # that shows whether clients can get beyond a number, without depending on their timing).
    stall_until_in_flight: int = 0
    stall_until: threading.Event | None = None  # with stall_seconds: stop sleeping as soon as this is set
    stall_mid_body_seconds: float = 0.0  # send half the body, then sleep
    reset: bool = False  # close the connection without an answer
    truncate_zip: bool = False
    zip_members: list[tuple[str, bytes]] | None = None  # a ZIP with exactly these members
    csv_transform: Callable[[str], str] | None = None  # change the flat file text
    encoding: str = "utf-8-sig"
    stream_bytes: int = 0  # answer this many bytes of generated_body(), written in chunks, never held whole
    stream_head: bytes = b""  # ... starting with these bytes (e.g. b"PK\x03\x04" to look like a ZIP)


def generated_body(size: int, head: bytes = b"") -> Iterator[bytes]:
    """`size` bytes in chunks of at most 1 MiB: `head`, then a fixed pattern. The same bytes on every
    call, so a test can hash what the server streamed without holding it either."""
    block = bytes(range(256)) * (STREAM_CHUNK // 256)
    head = head[:size]
    if head:
        yield head
    left = size - len(head)
    while left > 0:
        chunk = block[: min(left, STREAM_CHUNK)]
        left -= len(chunk)
        yield chunk


@dataclass
class ReceivedRequest:
    method: str
    endpoint: str
    query: str
    form: dict[str, str]
    headers: dict[str, str]
    at: float


class ScriptedGenesisState(GenesisState):
    """The demo server's tables, accounts and jobs, plus scripted faults, revisions published
    between runs, every request received and how many were in flight at most."""

    def __init__(self, **accounts_and_limits) -> None:
        super().__init__(**accounts_and_limits)
        self.faults: list[Fault] = []
        self.received: list[ReceivedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_changed = threading.Condition(self.lock)

    def revise(
        self,
        table: str,
        country_code: str,
        year: int,
        month: int,
        measure: str,
        value: Decimal | str,
        quality: str = "",
        *,
        updated_at: datetime | None = None,
        goods_code: str = "",
    ) -> None:
        with self.lock:
            for obs in self.tables[table]:
                if (obs.country_code, obs.year, obs.month, obs.measure, obs.goods_code) == (
                    country_code,
                    year,
                    month,
                    measure,
                    goods_code,
                ):
                    obs.value, obs.quality = value, quality
                    break
            else:
                self.tables[table].append(Observation(country_code, year, month, measure, value, quality, goods_code))
            self.updated[table] = updated_at or datetime.now(UTC).replace(tzinfo=None)

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            for i, fault in enumerate(self.faults):
                if endpoint.endswith(fault.endpoint):
                    return self.faults.pop(i)
        return None

    def requests_to(self, endpoint: str) -> list[ReceivedRequest]:
        return [r for r in self.received if r.endpoint.endswith(endpoint)]


class ScriptedGenesisHandler(GenesisHandler):
    server: "ScriptedGenesisServer"
    fault: Fault | None = None  # the fault the request being answered has taken

    def _answer(self, endpoint: str, form: dict[str, str]) -> None:
        state = self.server.state
        with state.lock:
            query = self.path.partition("?")[2]
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.received.append(ReceivedRequest("POST", endpoint, query, form, headers, time.time()))
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            state.in_flight_changed.notify_all()
        self.fault = state.take_fault(endpoint)
        try:
            self._answer_with_fault(endpoint, form)
        finally:
            self.fault = None
            with state.lock:
                state.in_flight -= 1

    def _answer_with_fault(self, endpoint: str, form: dict[str, str]) -> None:
        state, fault = self.server.state, self.fault
        if fault is None:
            return super()._answer(endpoint, form)
        if fault.stall_until_in_flight:
            with state.in_flight_changed:
                state.in_flight_changed.wait_for(
                    lambda: state.in_flight >= fault.stall_until_in_flight, timeout=fault.stall_seconds
                )
        elif fault.stall_until is not None:
            fault.stall_until.wait(fault.stall_seconds)
        elif fault.stall_seconds:
            time.sleep(fault.stall_seconds)
        if fault.reset:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault.stream_bytes:
            return self._stream(fault)
        if fault.body is not None:
            return self._send(fault.http_status, fault.body, "application/octet-stream")
        if fault.http_status != 200:
            return self._send(fault.http_status, b"<html>Service Unavailable</html>", "text/html")
        code = fault.status_code
        if code is not None and (code != 22 or (endpoint == "data/tablefile" and form.get("stand"))):
            service, _, method = endpoint.partition("/")
            content = fault.status_content or FAULT_STATUS_TEXT.get(code)
            return self._json(envelope(service, method, code, form, content, FAULT_STATUS_TYPE.get(code)))
        super()._answer(endpoint, form)

    def _flat_file_zip(self, table: str, rows: list[Observation], language: str, stem: str) -> bytes:
        fault = self.fault
        if fault is None:
            return super()._flat_file_zip(table, rows, language, stem)
        text = flat_file(self.server.state, table, rows, language)
        if fault.csv_transform:
            text = fault.csv_transform(text)
        data = text.encode(fault.encoding, errors="replace")
        body = zip_bytes(fault.zip_members if fault.zip_members is not None else [(f"{stem}.csv", data)])
        return body[: len(body) // 2] if fault.truncate_zip else body

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        fault = self.fault
        if fault is None:
            return super()._send(status, body, content_type, headers)
        content_type = fault.headers.get("Content-Type", content_type)
        headers = {k: v for k, v in {**(headers or {}), **fault.headers}.items() if k != "Content-Type"}
        if not fault.stall_mid_body_seconds:
            return super()._send(status, body, content_type, headers)
        self._send_head(status, content_type, len(body), headers)
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        time.sleep(fault.stall_mid_body_seconds)
        self.wfile.write(body[len(body) // 2 :])

    def _stream(self, fault: Fault) -> None:
        headers = {k: v for k, v in fault.headers.items() if k != "Content-Type"}
        content_type = fault.headers.get("Content-Type", "application/octet-stream")
        self._send_head(fault.http_status, content_type, fault.stream_bytes, headers)
        try:
            for chunk in generated_body(fault.stream_bytes, fault.stream_head):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: nothing to answer
            self.close_connection = True


class ScriptedGenesisServer(GenesisServer):
    state: ScriptedGenesisState
    handler_class = ScriptedGenesisHandler
