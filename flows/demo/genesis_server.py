"""A GENESIS-Online protocol server on 127.0.0.1, for the offline demo (`exportwatch demo`).

It speaks what the real 2020 REST service speaks since July 2025 (checked against the recordings
in tests/fixtures/genesis-recordings): POST only, form bodies, credentials in `username`/`password`
headers, status codes in a JSON envelope with HTTP 200, ZIP-wrapped v5 flat files (UTF-8 with BOM),
the 40,000 value dialog limit, background jobs polled via catalogue/results, and `stand` (status 50
when nothing is newer). It always answers correctly; the tests' misbehaving GENESIS (HTTP errors,
stalls, resets, broken files) is a subclass in tests/fake_genesis.py.

Country names come from warehouse.countries, the STLAH list the warehouse ships as reference data:
the flat file labels each country as GENESIS does, from the one list exportwatch has.
"""

import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass
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
# The status codes this server answers with, in GENESIS' words and types (as recorded).
STATUS_TEXT = {
    12: "Sie sind nicht berechtigt diesen Service aufzurufen",
    50: "Keine aktualisierten Daten vorhanden.",
    90: "Die angeforderte Tabelle ist nicht vorhanden",
    98: "Die Tabelle ist zu gross, um im Dialog abgerufen zu werden. Bitte nutzen sie den Webservice mit dem Parameter job=true (REST) um eine Verarbeitung im Hintergrund zu starten.",
    104: "Es gibt keine Objekte zum angegebenen Selektionskriterium",
}
STATUS_TYPE = {0: "Information", 50: "Information", 90: "Information", 99: "Information", 104: "Information"}
HEADER_COLUMNS = ["statistics_code", "statistics_label", "time_code", "time_label", "time"]


@dataclass
class Observation:
    country_code: str
    year: int
    month: int
    measure: str
    value: Decimal | str  # in the delivered unit (thousands for money), or a GENESIS symbol such as "..."
    quality: str = ""
    goods_code: str = ""  # for tables by goods (see GenesisState.goods_variables)


@dataclass
class Job:
    name: str
    form: dict[str, str]
    polls_left: int


class GenesisState:
    """What the server knows: tables, accounts and background jobs."""

    def __init__(self, *, tokens: set[str], users: dict[str, str], value_limit: int = 40_000, job_polls: int = 2) -> None:
        self.tokens = tokens
        self.users = users
        self.value_limit = value_limit
        self.job_polls = job_polls
        self.tables: dict[str, list[Observation]] = {}
        self.updated: dict[str, datetime] = {}
        self.variable_order: list[str] = ["DINSG", "STLAH", "MONAT"]
        self.goods_variables: dict[str, str] = {}  # table -> goods classification, e.g. {"51000-0012": "WAM4"}
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def set_table(self, table: str, observations: list[Observation], *, updated_at: datetime | None = None) -> None:
        """Publish a table; updated_at (naive UTC) is what `stand` is compared with."""
        with self.lock:
            self.tables[table] = list(observations)
            self.updated[table] = updated_at or datetime.now(UTC).replace(tzinfo=None)


def envelope(
    service: str,
    method: str,
    code: int,
    form: dict[str, str],
    content: str | None = None,
    status_type: str | None = None,
    **extra,
) -> bytes:
    parameter = {"username": "*" * 20, "password": "*" * 20} | {
        k: v for k, v in form.items() if k not in ("username", "password")
    }
    body = {
        "Ident": {"Service": service, "Method": method},
        "Status": {
            "Code": code,
            "Content": content or STATUS_TEXT.get(code, "erfolgreich"),
            "Type": status_type or STATUS_TYPE.get(code, "Fehler"),
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
    # Written out exactly, trailing zeros of the decimals dropped; not Decimal.normalize(), which
    # rounds to the context's 28 digits.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
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

    def log_message(self, format: str, *args) -> None:  # keep the demo's terminal quiet
        pass

    def do_GET(self) -> None:
        # Since July 2025 GET answers the web site's HTML page.
        self._send(200, b"<!DOCTYPE html><html><body>GENESIS-Online</body></html>", "text/html;charset=UTF-8")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        path = self.path.partition("?")[0]
        endpoint = path[len(self.server.prefix) :] if path.startswith(self.server.prefix) else path
        self._answer(endpoint, form)

    def _answer(self, endpoint: str, form: dict[str, str]) -> None:
        state = self.server.state
        service, _, method = endpoint.partition("/")
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
            return self._tablefile(form, is_token)
        if endpoint == "catalogue/results":
            return self._results(form)
        if endpoint == "metadata/table":
            return self._metadata_table(form)
        if endpoint == "data/resultfile":
            return self._resultfile(form)
        return self._json(envelope(service, method, 104, form))

    def _tablefile(self, form: dict[str, str], is_token: bool) -> None:
        state = self.server.state
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
        language = form.get("language", "de")
        self._zip(form["name"], rows, language, f"{form['name']}_{int(time.time() * 1000)}_{language}_flat")

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

    def _resultfile(self, form: dict[str, str]) -> None:
        state = self.server.state
        job = state.jobs.get(form.get("name", ""))
        if job is None or job.polls_left > 0:
            return self._json(envelope("data", "resultfile", 104, form))
        rows = select(state, job.form) or []
        self._zip(job.form["name"], rows, job.form.get("language", "de"), f"{job.name}_flat")

    def _zip(self, table: str, rows: list[Observation], language: str, stem: str) -> None:
        body = self._flat_file_zip(table, rows, language, stem)
        self._send(200, body, "application/zip", {"Content-Disposition": f"attachment; filename={stem}.zip"})

    def _flat_file_zip(self, table: str, rows: list[Observation], language: str, stem: str) -> bytes:
        """What GENESIS sends for format=ffcsv: a ZIP holding one `<stem>.csv`, UTF-8 with BOM."""
        text = flat_file(self.server.state, table, rows, language)
        return zip_bytes([(f"{stem}.csv", text.encode("utf-8-sig"))])

    def _json(self, body: bytes) -> None:
        self._send(200, body, "application/json;charset=UTF-8")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self._send_head(status, content_type, len(body), headers or {})
        self.wfile.write(body)

    def _send_head(self, status: int, content_type: str, length: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()


class GenesisServer(ThreadingHTTPServer):
    daemon_threads = True
    prefix = "/genesisWS/rest/2020/"
    handler_class: type[GenesisHandler] = GenesisHandler

    def __init__(self, state: GenesisState, port: int = 0) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), self.handler_class)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.prefix}"

    def start(self) -> "GenesisServer":
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="genesis-server", daemon=True
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
