"""A GENESIS-Online protocol server on 127.0.0.1, for the offline demo and the tests.

It speaks what the real 2020 REST service speaks since July 2025 (checked against the recordings
in shared/genesis-recordings): POST only, form bodies, credentials in `username`/`password`
headers, status codes in a JSON envelope with HTTP 200, ZIP-wrapped v5 flat files, the 40,000
value dialog limit, background jobs polled via catalogue/results, and `stand`. Tests script
faults per request (HTTP errors, stalls, resets, status codes, broken files).
"""

import io
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from schemas.measures import MEASURES
from warehouse.countries import countries

MONTHS = {
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
MEASURE_LABELS = {
    "de": {
        "WERTA": "Ausfuhr: Wert",
        "WERTE": "Einfuhr: Wert",
        "WERTAS": "Ausfuhr: Wert (US-Dollar)",
        "WERTES": "Einfuhr: Wert (US-Dollar)",
        "GEWA": "Ausfuhr: Gewicht",
        "GEWE": "Einfuhr: Gewicht",
    },
    "en": {
        "WERTA": "Exports: Value",
        "WERTE": "Imports: Value",
        "WERTAS": "Exports: Value (US-Dollar)",
        "WERTES": "Imports: Value (US-Dollar)",
        "GEWA": "Exports: Net mass",
        "GEWE": "Imports: Net mass",
    },
}
LABELS = {
    "de": {
        "statistic": "Außenhandel",
        "year": "Jahr",
        "dinsg": "Deutschland insgesamt",
        "dg": "Deutschland",
        "stlah": "Länderverzeichnis für die Außenhandelsstatistik",
        "monat": "Monate",
        "ok": "erfolgreich",
    },
    "en": {
        "statistic": "Foreign trade",
        "year": "Year",
        "dinsg": "Germany",
        "dg": "Germany",
        "stlah": "Country Nomenclature for External Trade Statistics",
        "monat": "Months",
        "ok": "successfull",
    },
}
STATUS_TEXT = {
    6: "Es wurden zu viele parallele Anfragen gestellt.",
    12: "Sie sind nicht berechtigt diesen Service aufzurufen",
    22: "Mindestens ein Parameter enthält ungültige Werte. Er wurde angepasst, um den Service starten zu können.: stand",
    50: "Keine aktualisierten Daten vorhanden.",
    90: "Die angeforderte Tabelle ist nicht vorhanden",
    98: "Die Tabelle ist zu gross, um im Dialog abgerufen zu werden. Bitte nutzen sie den Webservice mit dem Parameter job=true (REST) um eine Verarbeitung im Hintergrund zu starten.",
    104: "Es gibt keine Objekte zum angegebenen Selektionskriterium",
    -1: "Für die Teiltabelle wurde kein Datenquader gefunden!",
}
STATUS_TYPE = {0: "Information", 22: "Warnung", 50: "Information", 90: "Information", 99: "Information", 104: "Information"}
HEADER_COLUMNS = ["statistics_code", "statistics_label", "time_code", "time_label", "time"]


@dataclass
class Observation:
    country_code: str
    year: int
    month: int
    measure: str
    value: Decimal | str  # in the delivered unit (thousands for money), or a GENESIS symbol
    quality: str = ""
    goods_code: str = ""  # for tables by goods (see GenesisState.goods_variables)


@dataclass
class Fault:
    """One scripted misbehaviour, used up by the next request to a matching endpoint."""

    endpoint: str = "data/tablefile"
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # replace the whole body
    status_code: int | None = None  # answer this GENESIS status in a JSON envelope
    status_content: str | None = None  # ... with this Status.Content text (default: GENESIS's own)
    stall_seconds: float = 0.0  # sleep before answering
    # With stall_seconds: stop sleeping as soon as this many requests are in flight (a rendezvous
    # that shows whether clients can get beyond a number, without depending on their timing).
    stall_until_in_flight: int = 0
    stall_mid_body_seconds: float = 0.0  # send half the body, then sleep
    reset: bool = False  # close the connection without an answer
    truncate_zip: bool = False
    zip_members: list[tuple[str, bytes]] | None = None  # a ZIP with exactly these members
    csv_transform: Callable[[str], str] | None = None  # change the flat file text
    encoding: str = "utf-8-sig"
    stream_bytes: int = 0  # answer this many bytes of generated_body(), written in chunks, never held whole
    stream_head: bytes = b""  # ... starting with these bytes (e.g. b"PK\x03\x04" to look like a ZIP)


STREAM_CHUNK = 1 << 20


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


@dataclass
class Job:
    name: str
    form: dict[str, str]
    polls_left: int


class GenesisState:
    """What the server knows: tables, accounts, jobs, scripted faults and what it received."""

    def __init__(self, *, tokens: set[str], users: dict[str, str], value_limit: int = 40_000, job_polls: int = 2) -> None:
        self.tokens = tokens
        self.users = users
        self.value_limit = value_limit
        self.job_polls = job_polls
        self.tables: dict[str, list[Observation]] = {}
        self.updated: dict[str, datetime] = {}
        self.variable_order: list[str] = ["DINSG", "STLAH", "MONAT"]
        self.goods_variables: dict[str, str] = {}  # table -> goods classification, e.g. {"51000-0012": "WAM4"}
        self.faults: list[Fault] = []
        self.received: list[ReceivedRequest] = []
        self.jobs: dict[str, Job] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.in_flight_changed = threading.Condition(self.lock)

    def set_table(self, table: str, observations: list[Observation], *, updated_at: datetime | None = None) -> None:
        """Publish a table; updated_at (naive UTC) is what `stand` is compared with."""
        with self.lock:
            self.tables[table] = list(observations)
            self.updated[table] = updated_at or datetime.now(UTC).replace(tzinfo=None)

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


def envelope(service: str, method: str, code: int, form: dict[str, str], content: str | None = None, **extra) -> bytes:
    parameter = {"username": "*" * 20, "password": "*" * 20} | {
        k: v for k, v in form.items() if k not in ("username", "password")
    }
    body = {
        "Ident": {"Service": service, "Method": method},
        "Status": {
            "Code": code,
            "Content": content or STATUS_TEXT.get(code, "erfolgreich"),
            "Type": STATUS_TYPE.get(code, "Fehler"),
        },
        "Parameter": parameter,
        **({"List": None} if service == "catalogue" else {"Object": None}),
        "Copyright": "© Statistisches Bundesamt (Destatis), 2026",
    }
    body.update(extra)
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def format_value(value: Decimal | str, language: str) -> str:
    if isinstance(value, str):
        return value
    text = format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
    return text.replace(".", ",") if language == "de" else text


def flat_file(state: GenesisState, table: str, rows: list[Observation], language: str) -> str:
    labels = LABELS[language]
    names = countries()
    header = list(HEADER_COLUMNS)
    goods_variable = state.goods_variables.get(table)
    order = state.variable_order + (["GOODS"] if goods_variable else [])
    for i, _ in enumerate(order, start=1):
        header += [f"{i}_variable_code", f"{i}_variable_label", f"{i}_variable_attribute_code", f"{i}_variable_attribute_label"]
    header += ["value", "value_unit", "value_variable_code", "value_variable_label", "value_q"]
    lines = [";".join(header)]
    for obs in rows:
        country = names.get(obs.country_code)
        dims = {
            "DINSG": ["DINSG", labels["dinsg"], "DG", labels["dg"]],
            "STLAH": [
                "STLAH",
                labels["stlah"],
                obs.country_code,
                (country.name_de if language == "de" else country.name_en) if country else obs.country_code,
            ],
            "MONAT": ["MONAT", labels["monat"], f"MONAT{obs.month:02d}", MONTHS[language][obs.month - 1]],
            "GOODS": [goods_variable or "", "Warenverzeichnis Außenhandelsstatistik", obs.goods_code, f"Ware {obs.goods_code}"],
        }
        measure = MEASURES[obs.measure]
        fields = [table.split("-")[0], labels["statistic"], "JAHR", labels["year"], str(obs.year)]
        for code in order:
            fields += dims[code]
        fields += [
            format_value(obs.value, language),
            measure.unit_de if language == "de" else measure.unit_en,
            obs.measure,
            MEASURE_LABELS[language][obs.measure],
            obs.quality,
        ]
        lines.append(";".join(fields))
    return "\n".join(lines) + "\n"


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def select(state: GenesisState, form: dict[str, str]) -> list[Observation] | None:
    table = form.get("name", "")
    if table not in state.tables:
        return None
    keys = set(filter(None, form.get("classifyingkey1", "").split(",")))
    goods = set(filter(None, form.get("classifyingkey2", "").split(","))) - {"*"}
    measures = set(filter(None, form.get("contents", "").split(",")))
    start = int(form.get("startyear") or 0)
    end = int(form.get("endyear") or 9999)
    return [
        o
        for o in state.tables[table]
        if (not keys or o.country_code in keys)
        and (not goods or o.goods_code in goods)
        and (not measures or o.measure in measures)
        and start <= o.year <= end
    ]


def parse_stand(text: str) -> datetime | None:
    """`stand` (German local time) as naive UTC."""
    for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            local = datetime.strptime(text, pattern).replace(tzinfo=ZoneInfo("Europe/Berlin"))
            return local.astimezone(UTC).replace(tzinfo=None)
        except ValueError:
            pass
    return None


class GenesisHandler(BaseHTTPRequestHandler):
    server: "GenesisServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        # Since July 2025 GET answers the web site's HTML page.
        self._send(200, b"<!DOCTYPE html><html><body>GENESIS-Online</body></html>", "text/html;charset=UTF-8")

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("content-length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        path, _, query = self.path.partition("?")
        endpoint = path[len(self.server.prefix) :] if path.startswith(self.server.prefix) else path
        with state.lock:
            state.received.append(
                ReceivedRequest("POST", endpoint, query, form, {k.lower(): v for k, v in self.headers.items()}, time.time())
            )
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            state.in_flight_changed.notify_all()
        try:
            self._answer(endpoint, form)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _answer(self, endpoint: str, form: dict[str, str]) -> None:
        state = self.server.state
        fault = state.take_fault(endpoint)
        if fault and fault.stall_until_in_flight:
            with state.in_flight_changed:
                state.in_flight_changed.wait_for(
                    lambda: state.in_flight >= fault.stall_until_in_flight, timeout=fault.stall_seconds
                )
        elif fault and fault.stall_seconds:
            time.sleep(fault.stall_seconds)
        if fault and fault.reset:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault and fault.stream_bytes:
            return self._stream(fault)
        if fault and fault.body is not None:
            return self._send(fault.http_status, fault.body, fault.headers.get("Content-Type", "application/octet-stream"), fault)
        if fault and fault.http_status != 200:
            return self._send(fault.http_status, b"<html>Service Unavailable</html>", "text/html", fault)
        service, _, method = endpoint.partition("/")
        if fault and fault.status_code is not None and fault.status_code != 22:
            return self._json(envelope(service, method, fault.status_code, form, fault.status_content))
        username, password = self.headers.get("username", ""), self.headers.get("password", "")
        is_token = username in state.tokens and password == ""
        is_user = state.users.get(username) == password and password != ""
        if endpoint == "helloworld/logincheck":
            ok = is_token or is_user
            text = "Sie wurden erfolgreich an- und abgemeldet!" if ok else "Ein Fehler ist aufgetreten"
            return self._json(json.dumps({"Status": text, "Username": "*" * 20}, ensure_ascii=False).encode())
        if not (is_token or is_user):
            return self._json(envelope(service, method, 12, form))
        if endpoint == "data/tablefile":
            return self._tablefile(form, is_token, fault)
        if endpoint == "catalogue/results":
            return self._results(form)
        if endpoint == "metadata/table":
            return self._metadata_table(form)
        if endpoint == "data/resultfile":
            return self._resultfile(form, fault)
        return self._json(envelope(service, method, 104, form))

    def _tablefile(self, form: dict[str, str], is_token: bool, fault: Fault | None) -> None:
        state = self.server.state
        if fault and fault.status_code == 22 and form.get("stand"):
            return self._json(envelope("data", "tablefile", 22, form))
        rows = select(state, form)
        if rows is None:
            return self._json(envelope("data", "tablefile", 90, form))
        stand = parse_stand(form.get("stand", ""))
        if stand is not None and state.updated[form["name"]] <= stand:
            return self._json(envelope("data", "tablefile", 50, form))
        if not rows:
            return self._json(envelope("data", "tablefile", 104, form))
        if len(rows) > state.value_limit:
            if form.get("job") != "true":
                return self._json(envelope("data", "tablefile", 98, form))
            if is_token:
                return self._json(envelope("data", "tablefile", 12, form))
            name = f"{form['name']}_{int(time.time() * 1000) % 1_000_000_000}"
            with state.lock:
                state.jobs[name] = Job(name, dict(form), state.job_polls)
            text = f"Der Bearbeitungsauftrag wurde erstellt. Die Tabelle kann in Kürze als Ergebnis mit folgendem Namen abgerufen werden: {name}"
            return self._json(envelope("data", "tablefile", 99, form, text))
        self._zip(
            form["name"],
            rows,
            form.get("language", "de"),
            f"{form['name']}_{int(time.time() * 1000)}_{form.get('language', 'de')}_flat",
            fault,
        )

    def _metadata_table(self, form: dict[str, str]) -> None:
        """The table's structure in the shape of the recorded answers (51000-0010): variables nested
        under Head, Columns (the measures), Rows, Subtitel and Subheading."""
        state = self.server.state
        table = form.get("name", "")
        if table not in state.tables:
            return self._json(envelope("metadata", "table", 104, form))
        language = form.get("language", "de")
        labels = LABELS[language]
        kind = "Merkmal" if language == "de" else "variable"

        def variable(code: str, content: str, structure: list | None = None) -> dict:
            return {
                "Code": code,
                "Content": content,
                "Type": kind,
                "Values": None,
                "Selected": None,
                "Functions": None,
                "Structure": structure,
                "Updated": "see parent",
            }

        goods_variable = state.goods_variables.get(table)
        goods = [variable(goods_variable, "Warenverzeichnis Außenhandelsstatistik")] if goods_variable else None
        years = sorted({o.year for o in state.tables[table]}) or [0]
        measures = sorted({o.measure for o in state.tables[table]})
        structure = {
            "Head": variable(table.split("-")[0], labels["statistic"], [variable("DINSG", labels["dinsg"], goods)]),
            "Columns": [variable(m, MEASURE_LABELS[language][m]) for m in measures],
            "Rows": [variable("STLAH", labels["stlah"])],
            "Subtitel": variable("JAHR", labels["year"]),
            "Subheading": variable("MONAT", labels["monat"]),
        }
        content = {
            "Code": table,
            "Content": f"Aus- und Einfuhr (Außenhandel): {table}",
            "Time": {"From": str(years[0]), "To": str(years[-1])},
            "Valid": "false",
            "Structure": structure,
            "Updated": "01.01.2026 08:00:00h",
        }
        return self._json(envelope("metadata", "table", 0, form, Object=content))

    def _results(self, form: dict[str, str]) -> None:
        state = self.server.state
        job = state.jobs.get(form.get("selection", ""))
        if job is None or job.polls_left > 0:
            if job is not None:
                job.polls_left -= 1
            return self._json(envelope("catalogue", "results", 104, form))
        item = {"Code": job.name, "Content": job.form["name"], "Values": str(len(select(state, job.form) or []))}
        return self._json(envelope("catalogue", "results", 0, form, "erfolgreich", List=[item]))

    def _resultfile(self, form: dict[str, str], fault: Fault | None) -> None:
        state = self.server.state
        job = state.jobs.get(form.get("name", ""))
        if job is None or job.polls_left > 0:
            return self._json(envelope("data", "resultfile", 104, form))
        rows = select(state, job.form) or []
        self._zip(job.form["name"], rows, job.form.get("language", "de"), f"{job.name}_flat", fault)

    def _zip(self, table: str, rows: list[Observation], language: str, stem: str, fault: Fault | None) -> None:
        text = flat_file(self.server.state, table, rows, language)
        if fault and fault.csv_transform:
            text = fault.csv_transform(text)
        data = text.encode(fault.encoding if fault else "utf-8-sig", errors="replace")
        members = fault.zip_members if fault and fault.zip_members is not None else [(f"{stem}.csv", data)]
        body = zip_bytes(members)
        if fault and fault.truncate_zip:
            body = body[: len(body) // 2]
        self._send(200, body, "application/zip", fault, {"Content-Disposition": f"attachment; filename={stem}.zip"})

    def _stream(self, fault: Fault) -> None:
        self.send_response(fault.http_status)
        self.send_header("Content-Type", fault.headers.get("Content-Type", "application/octet-stream"))
        self.send_header("Content-Length", str(fault.stream_bytes))
        for key, value in fault.headers.items():
            if key != "Content-Type":
                self.send_header(key, value)
        self.end_headers()
        try:
            for chunk in generated_body(fault.stream_bytes, fault.stream_head):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: nothing to answer
            self.close_connection = True

    def _json(self, body: bytes) -> None:
        self._send(200, body, "application/json;charset=UTF-8")

    def _send(
        self, status: int, body: bytes, content_type: str, fault: Fault | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**(headers or {}), **(fault.headers if fault else {})}.items():
            if key != "Content-Type":
                self.send_header(key, value)
        self.end_headers()
        if fault and fault.stall_mid_body_seconds:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(fault.stall_mid_body_seconds)
            self.wfile.write(body[len(body) // 2 :])
        else:
            self.wfile.write(body)


class GenesisServer(ThreadingHTTPServer):
    daemon_threads = True
    prefix = "/genesisWS/rest/2020/"

    def __init__(self, state: GenesisState, port: int = 0) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), GenesisHandler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.prefix}"

    def start(self) -> "GenesisServer":
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-genesis", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> "GenesisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
