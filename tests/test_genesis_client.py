"""The GENESIS client against the GENESIS-protocol server on 127.0.0.1: real HTTP, real archive.

Protocol (POST, form body, credentials only in headers), archiving under sha256, `stand`,
retries, errors that must not retry, too-big tables (split with a token, job with user+password),
the 3-in-flight limit, logincheck, credentials from the environment and the request plan.
"""

import csv
import hashlib
import io
import json
import os
import socket
import threading
import time
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from flows.errors import ConfigError, GenesisError, GenesisStatusError, GenesisTransportError, TableTooBig
from flows.genesis.archive import ResponseArchive
from flows.genesis.client import GenesisClient, RetryPolicy, fetch_table, format_stand
from flows.genesis.credentials import Credentials, require_credentials
from flows.genesis.request import TableRequest, plan_years
from flows.pipeline.fetch import build_client, fetch_planned
from flows.pipeline.plan import PlannedRequest
from tests.fake_genesis import Fault
from tests.support import KG, PASSWORD, PUBLISHED, RU, TABLE, TOKEN, USER, recording

SECRETS = (TOKEN, USER, PASSWORD)


def make_request(
    startyear: int = 2024, endyear: int = 2025, countries=(RU, KG), measures=("WERTA", "WERTE"), language="de"
) -> TableRequest:
    return TableRequest(TABLE, tuple(countries), tuple(measures), startyear, endyear, language)


def rows_of(responses) -> list[tuple[str, str, str, str, str]]:
    """(country, year, month, measure, value) of every row in the delivered ZIPs, found by variable code."""
    rows = []
    for response in responses:
        with zipfile.ZipFile(response.path) as archive:
            (member,) = archive.infolist()
            text = archive.read(member).decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text), delimiter=";")
        for record in reader:
            codes = {record[f"{g}_variable_code"]: record[f"{g}_variable_attribute_code"] for g in (1, 2, 3)}
            rows.append((codes["STLAH"], record["time"], codes["MONAT"], record["value_variable_code"], record["value"]))
    return sorted(rows)


def tablefile_forms(genesis) -> list[dict[str, str]]:
    return [r.form for r in genesis.state.requests_to("data/tablefile")]


def small_timeout_client(settings, timeout: float, credentials=Credentials(TOKEN, "")) -> GenesisClient:
    settings.genesis.timeout_seconds = timeout
    return build_client(settings, credentials)


def manifest_lines(settings) -> list[dict]:
    path = settings.warehouse.archive_dir / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_no_secret_on_disk(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret!r} found in {path}"


# -- protocol ----------------------------------------------------------------------------------


def test_every_request_is_a_form_post_with_credentials_only_in_headers(genesis, settings, token_client):
    assert token_client.logincheck()[0]
    outcome = token_client.tablefile(make_request(2024, 2025))
    assert outcome.responses and not outcome.unchanged
    received = genesis.state.received
    assert [r.endpoint for r in received] == ["helloworld/logincheck", "data/tablefile"]
    for r in received:
        assert r.method == "POST"
        assert r.query == ""  # nothing in the URL query
        assert r.headers["content-type"] == "application/x-www-form-urlencoded"
        assert r.headers["username"] == TOKEN
        assert r.headers["password"] == ""  # a token travels with an empty password header
        assert "authorization" not in r.headers and "cookie" not in r.headers
        assert not {"username", "password"} & set(r.form)
        for secret in SECRETS:
            assert all(secret not in value for value in r.form.values())
            assert secret not in r.query and secret not in r.endpoint
    form = received[1].form
    assert form == {
        "name": TABLE,
        "area": "all",
        "format": "ffcsv",
        "compress": "false",
        "language": "de",
        "quality": "on",
        "startyear": "2024",
        "endyear": "2025",
        "classifyingvariable1": "STLAH",
        "classifyingkey1": f"{RU},{KG}",
        "contents": "WERTA,WERTE",
        "job": "false",
    }


def test_user_and_password_travel_in_their_headers(genesis, user_client):
    user_client.tablefile(make_request(2025, 2025, language="en"))
    (r,) = genesis.state.received
    assert (r.headers["username"], r.headers["password"]) == (USER, PASSWORD)
    assert r.form["language"] == "en"
    assert PASSWORD not in r.query and all(PASSWORD not in v for v in r.form.values())


def test_base_url_without_trailing_slash_still_posts_to_service_and_method(genesis, settings, tmp_path):
    client = GenesisClient(
        genesis.base_url.rstrip("/"),
        Credentials(TOKEN, ""),
        ResponseArchive(tmp_path / "raw"),
        retry=RetryPolicy(backoff_seconds=0.01),
    )
    try:
        assert client.base_url == genesis.base_url
        client.tablefile(make_request(2025, 2025))
    finally:
        client.close()
    assert [r.endpoint for r in genesis.state.received] == ["data/tablefile"]


def test_form_fields_are_parameters_real_genesis_knows(genesis, token_client):
    """Every field we send is echoed in a real GENESIS `Parameter` list (quality is honoured, not echoed)."""
    recorded = json.loads(recording("12531-0043", "001-data-tablefile.json").read_text(encoding="utf-8"))
    known = set(recorded["Parameter"]) - {"username", "password"}
    assert set(make_request().form()) - known == {"quality"}
    token_client.tablefile(make_request(2025, 2025))
    assert set(genesis.state.received[0].form) - known == {"quality"}


# -- archive -----------------------------------------------------------------------------------


def test_only_partial_downloads_idle_for_an_hour_are_discarded(tmp_path):
    """Another machine sharing the archive may be writing the fresh one at this moment."""
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    abandoned, in_progress = incoming / "exportwatch-a.part", incoming / "exportwatch-b.part"
    someone_elses = incoming / "a.part"  # not named as exportwatch names its downloads
    for part in (abandoned, in_progress, someone_elses):
        part.write_bytes(b"PK\x03\x04")
    two_hours_ago = time.time() - 7200
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    os.utime(someone_elses, (two_hours_ago, two_hours_ago))

    ResponseArchive(tmp_path).discard_partial()

    assert sorted(p.name for p in incoming.iterdir()) == ["a.part", "exportwatch-b.part"]


def test_zip_answer_is_archived_under_its_sha256_with_a_manifest_line(genesis, settings, token_client):
    request = make_request(2024, 2025)
    outcome = token_client.tablefile(request)
    assert not outcome.unchanged
    (response,) = outcome.responses
    root = settings.warehouse.archive_dir
    data = response.path.read_bytes()
    assert response.kind == "zip" and data.startswith(b"PK\x03\x04")
    assert response.path.is_file() and response.path.is_relative_to(root)
    assert response.path.stem == response.sha256 == hashlib.sha256(data).hexdigest()
    assert response.path == root / response.relative_path
    assert response.size_bytes == len(data)
    assert response.http_status == 200 and response.endpoint == "data/tablefile"
    assert response.form == request.form()
    assert list((root / "incoming").glob("*")) == []  # no half-written files left behind
    (line,) = manifest_lines(settings)
    assert line["sha256"] == response.sha256
    assert line["path"] == response.relative_path
    assert line["form"] == request.form()
    assert line["endpoint"] == "data/tablefile" and line["http_status"] == 200
    assert line["size_bytes"] == len(data)
    assert "zip" in line["content_type"]
    datetime.fromisoformat(line["fetched_at"])
    manifest_text = (root / "manifest.jsonl").read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in manifest_text
    assert_no_secret_on_disk(root)


def test_real_recorded_zip_is_archived_byte_for_byte(genesis, settings, token_client):
    recorded = recording("51000-0010", "001-data-tablefile.zip").read_bytes()
    genesis.state.add_fault(Fault(body=recorded, headers={"Content-Type": "application/zip"}))
    (response,) = token_client.tablefile(make_request()).responses
    assert response.sha256 == hashlib.sha256(recorded).hexdigest()
    assert response.path.read_bytes() == recorded


def test_every_answer_is_archived_even_the_failed_ones(genesis, settings, token_client):
    genesis.state.add_fault(Fault(http_status=503))
    token_client.tablefile(make_request(2025, 2025))
    lines = manifest_lines(settings)
    assert [line["http_status"] for line in lines] == [503, 200]
    for line in lines:
        assert (settings.warehouse.archive_dir / line["path"]).is_file()


# -- stand -------------------------------------------------------------------------------------


def test_status_50_with_stand_means_unchanged(genesis, token_client):
    outcome = token_client.tablefile(make_request(), stand=PUBLISHED)
    assert outcome.unchanged and outcome.responses == []
    (r,) = genesis.state.received
    assert r.form["stand"] == "06.11.2026 08:00"  # 07:00 UTC in November is 08:00 in Berlin


def test_stand_before_the_last_update_gets_the_file(genesis, token_client):
    outcome = token_client.tablefile(make_request(), stand=PUBLISHED - timedelta(minutes=1))
    assert not outcome.unchanged and len(outcome.responses) == 1


@pytest.mark.parametrize(
    "utc,expected",
    [
        (datetime(2026, 1, 15, 12, 30), "15.01.2026 13:30"),  # winter: CET = UTC+1
        (datetime(2026, 7, 15, 12, 30), "15.07.2026 14:30"),  # summer: CEST = UTC+2
        (datetime(2025, 12, 31, 23, 5), "01.01.2026 00:05"),  # the local date is the next day
        (datetime(2026, 3, 29, 0, 59), "29.03.2026 01:59"),  # just before the spring change
        (datetime(2026, 3, 29, 1, 0), "29.03.2026 03:00"),  # just after it
        (datetime(2026, 6, 1, 8, 7, 59), "01.06.2026 10:07"),  # seconds are dropped, never rounded up
    ],
)
def test_format_stand_is_german_local_time(utc, expected):
    assert format_stand(utc) == expected


def test_status_22_for_stand_asks_again_without_stand(genesis, token_client):
    genesis.state.add_fault(Fault(status_code=22))
    outcome = token_client.tablefile(make_request(), stand=datetime(2020, 1, 1))
    assert not outcome.unchanged and len(outcome.responses) == 1
    first, second = tablefile_forms(genesis)
    assert first["stand"] == "01.01.2020 01:00"
    assert "stand" not in second
    assert {k: v for k, v in first.items() if k != "stand"} == second


# -- retries -----------------------------------------------------------------------------------


RETRYABLE_FAULTS = {
    "http-500": Fault(http_status=500),
    "http-502": Fault(http_status=502),
    "http-503": Fault(http_status=503),
    "http-504": Fault(http_status=504),
    "http-429-retry-after-0": Fault(http_status=429, headers={"Retry-After": "0"}),
    "http-429": Fault(http_status=429),
    "status-6": Fault(status_code=6),
    "connection-reset": Fault(reset=True),
}


@pytest.mark.parametrize("name", list(RETRYABLE_FAULTS))
def test_transient_failure_is_retried_once(genesis, token_client, name):
    expected = rows_of(token_client.tablefile(make_request(2025, 2025)).responses)
    genesis.state.received.clear()
    genesis.state.add_fault(Fault(**vars(RETRYABLE_FAULTS[name])))
    before = token_client.requests_sent
    outcome = token_client.tablefile(make_request(2025, 2025))
    assert rows_of(outcome.responses) == expected and len(expected) == 2 * 2 * 12
    assert len(genesis.state.received) == 2
    assert token_client.requests_sent - before == 2  # the client retried, not the HTTP library


def test_retry_after_header_sets_the_least_wait(genesis, settings):
    waits: list[float] = []
    client = build_client(settings, Credentials(TOKEN, ""), sleep=waits.append)
    try:
        genesis.state.add_fault(Fault(http_status=429, headers={"Retry-After": "7"}))
        genesis.state.add_fault(Fault(http_status=503))
        client.tablefile(make_request(2025, 2025))
    finally:
        client.close()
    assert len(waits) == 2
    assert waits[0] >= 7
    assert 0 < waits[1] < 1  # the settings' tiny back-off, doubled once, with jitter


def test_stall_longer_than_the_timeout_is_retried(genesis, settings):
    client = small_timeout_client(settings, 0.2)
    try:
        genesis.state.add_fault(Fault(stall_seconds=0.6))
        started = time.monotonic()
        outcome = client.tablefile(make_request(2025, 2025))
        elapsed = time.monotonic() - started
    finally:
        client.close()
    assert len(outcome.responses) == 1 and len(rows_of(outcome.responses)) == 48
    assert len(genesis.state.received) == 2
    assert elapsed < 0.6  # it gave up on the stalled answer instead of waiting for it


def test_stall_mid_body_longer_than_the_timeout_is_retried(genesis, settings):
    client = small_timeout_client(settings, 0.2)
    try:
        genesis.state.add_fault(Fault(stall_mid_body_seconds=0.6))
        outcome = client.tablefile(make_request(2025, 2025))
    finally:
        client.close()
    (response,) = outcome.responses
    assert len(rows_of(outcome.responses)) == 48
    assert len(genesis.state.received) == 2
    # the half body was not archived: only the complete ZIP is on disk and in the manifest
    assert [line["sha256"] for line in manifest_lines(settings)] == [response.sha256]
    assert list((settings.warehouse.archive_dir / "incoming").glob("*")) == []


def test_retry_after_as_http_date(genesis, settings):
    settings.genesis.retry_budget_seconds = 60  # more than the 30 s asked for
    waits: list[float] = []
    client = build_client(settings, Credentials(TOKEN, ""), sleep=waits.append)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    try:
        genesis.state.add_fault(Fault(http_status=503, headers={"Retry-After": when}))
        client.tablefile(make_request(2025, 2025))
    finally:
        client.close()
    (wait,) = waits
    assert 25 <= wait <= 31


def test_server_not_listening_gives_a_transport_error(genesis, settings):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.genesis.api_url = f"http://127.0.0.1:{port}/genesisWS/rest/2020/"
    client = build_client(settings, Credentials(TOKEN, ""))
    try:
        with pytest.raises(GenesisTransportError) as caught:
            client.tablefile(make_request())
    finally:
        client.close()
    message = str(caught.value)
    assert message.startswith(f"{TABLE}: ") and "connection failed" in message
    assert f"after {settings.genesis.retry_attempts} attempts" in message
    assert client.requests_sent == settings.genesis.retry_attempts


def test_consecutive_503_until_attempts_run_out(genesis, settings, token_client):
    attempts = settings.genesis.retry_attempts
    for _ in range(attempts):
        genesis.state.add_fault(Fault(http_status=503))
    request = make_request(2024, 2025)
    with pytest.raises(GenesisTransportError) as caught:
        token_client.tablefile(request)
    message = str(caught.value)
    assert message.startswith(f"{TABLE}: ")
    assert f"[request: {request.describe()}]" in message
    assert f"after {attempts} attempts" in message and "HTTP 503" in message
    assert len(genesis.state.received) == attempts
    assert caught.value.table == TABLE
    for secret in SECRETS:
        assert secret not in message


# -- errors that must not retry ------------------------------------------------------------------


NON_RETRYABLE = {
    "status-90": (
        Fault(status_code=90),
        GenesisStatusError,
        ["GENESIS status 90", "Die angeforderte Tabelle ist nicht vorhanden", "selection"],
    ),
    "status-104": (Fault(status_code=104), GenesisStatusError, ["GENESIS status 104", "selection"]),
    "status-12": (Fault(status_code=12), GenesisStatusError, ["GENESIS status 12", "nicht berechtigt", "credentials"]),
    "status--1": (
        Fault(status_code=-1),
        GenesisStatusError,
        ["GENESIS status -1", "Für die Teiltabelle wurde kein Datenquader gefunden!"],
    ),
    "html-200": (
        Fault(
            body=b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>", headers={"Content-Type": "text/html;charset=UTF-8"}
        ),
        GenesisError,
        ["GENESIS answered an HTML page: endpoint moved or maintenance", "api_url"],
    ),
    "http-404": (Fault(http_status=404), GenesisError, ["GENESIS answered HTTP 404", "api_url"]),
    "http-301": (
        Fault(http_status=301, headers={"Location": "https://genesis.destatis.de/"}),
        GenesisError,
        ["GENESIS answered HTTP 301"],
    ),
}


@pytest.mark.parametrize("name", list(NON_RETRYABLE))
def test_error_answer_is_not_retried_and_names_table_and_request(genesis, settings, token_client, name):
    fault, error_type, fragments = NON_RETRYABLE[name]
    genesis.state.add_fault(fault)
    request = make_request(2024, 2025)
    with pytest.raises(error_type) as caught:
        token_client.tablefile(request)
    error = caught.value
    message = str(error)
    assert len(genesis.state.received) == 1
    assert message.startswith("51000-0004: ")
    assert f"[request: {request.describe()}]" in message
    for fragment in fragments:
        assert fragment in message
    assert error.table == TABLE
    assert error.archived and Path(error.archived).is_file()
    assert Path(error.archived).is_relative_to(settings.warehouse.archive_dir)
    assert f"Raw response kept at {error.archived}" in message
    for secret in SECRETS:
        assert secret not in message


@pytest.mark.parametrize("body", [b'{"Status": {"Code": 98, "Content": "Die Tab', b'["maintenance"]'])
def test_broken_json_envelope_names_table_and_request(genesis, token_client, body):
    genesis.state.add_fault(Fault(body=body, headers={"Content-Type": "application/json"}))
    request = make_request()
    with pytest.raises(GenesisError) as caught:
        token_client.tablefile(request)
    assert Path(caught.value.archived).is_file()
    assert str(caught.value).startswith(f"{TABLE}: ")
    assert f"[request: {request.describe()}]" in str(caught.value)


def test_status_codes_are_kept_on_the_error(genesis, token_client):
    genesis.state.add_fault(Fault(status_code=104))
    with pytest.raises(GenesisStatusError) as caught:
        token_client.tablefile(make_request())
    assert caught.value.code == 104


def test_unknown_table_natural_status_90(genesis, token_client):
    with pytest.raises(GenesisStatusError, match="51000-9999: GENESIS status 90") as caught:
        token_client.tablefile(TableRequest("51000-9999", (RU,), ("WERTA",), 2025, 2025))
    assert caught.value.code == 90


def test_years_without_data_natural_status_104(genesis, token_client):
    with pytest.raises(GenesisStatusError, match="selection") as caught:
        token_client.tablefile(make_request(2010, 2012))
    assert caught.value.code == 104


def test_wrong_token_natural_status_12(genesis, settings):
    client = build_client(settings, Credentials("WRONG-TOKEN", ""))
    try:
        with pytest.raises(GenesisStatusError, match="credentials") as caught:
            client.tablefile(make_request())
    finally:
        client.close()
    assert caught.value.code == 12
    assert len(genesis.state.received) == 1


def test_real_recorded_error_envelope_is_quoted(genesis, token_client):
    body = recording("61111-0021", "001-data-tablefile.json").read_bytes()
    genesis.state.add_fault(Fault(body=body, headers={"Content-Type": "application/json"}))
    with pytest.raises(GenesisStatusError) as caught:
        token_client.tablefile(make_request())
    assert caught.value.code == -1
    assert "wurde kein Datenquader gefunden!" in str(caught.value)
    assert len(genesis.state.received) == 1


def test_real_recorded_table_metadata_gives_every_variable(genesis, token_client):
    """exportwatch check reads variables from metadata/table: here from the one real answer recorded."""
    body = recording("12531-0043", "410-metadata-table.json").read_bytes()
    genesis.state.add_fault(Fault(endpoint="metadata/table", body=body, headers={"Content-Type": "application/json"}))
    assert token_client.table_variables("12531-0043") == {"12531", "BEV030", "SCHST2", "GES", "KREISE", "STAAG5", "STAG"}


def test_the_fake_table_metadata_has_the_shape_of_the_recorded_one(genesis, token_client):
    def shape(node: object) -> object:  # the keys, recursively: what the parser walks
        if isinstance(node, dict):
            return {k: shape(v) for k, v in node.items() if isinstance(v, (dict, list))} | {"keys": sorted(node)}
        if isinstance(node, list):
            return shape(node[0]) if node else []
        return None

    recorded = json.loads(recording("12531-0043", "410-metadata-table.json").read_bytes())
    served = httpx.post(
        f"{genesis.base_url}metadata/table", data={"name": TABLE}, headers={"username": TOKEN, "password": ""}
    ).json()
    assert sorted(served) == sorted(recorded)
    assert shape(served["Object"]["Structure"]["Head"]) == shape(recorded["Object"]["Structure"]["Head"])
    assert sorted(served["Object"]["Structure"]) == sorted(recorded["Object"]["Structure"])


# -- too big: split with a token, job with user + password -----------------------------------------


def test_token_splits_a_too_big_request_by_years_then_measures(genesis, token_client):
    request = make_request(2021, 2022)
    full = rows_of(token_client.tablefile(request).responses)
    assert len(full) == 2 * 2 * 2 * 12
    genesis.state.received.clear()
    genesis.state.value_limit = 40  # one year of 2 countries x 2 measures (48 values) is too big
    outcome = fetch_table(token_client, request)
    assert not outcome.unchanged
    assert rows_of(outcome.responses) == full  # every value once, none twice
    forms = tablefile_forms(genesis)
    assert all(f["job"] == "false" for f in forms)  # only dialog requests
    assert [(f["startyear"], f["endyear"], f["contents"]) for f in forms] == [
        ("2021", "2022", "WERTA,WERTE"),  # the whole request first: 98
        ("2021", "2021", "WERTA,WERTE"),  # by years: 98
        ("2021", "2021", "WERTA"),  # then by measures: delivered
        ("2021", "2021", "WERTE"),
        ("2022", "2022", "WERTA,WERTE"),
        ("2022", "2022", "WERTA"),
        ("2022", "2022", "WERTE"),
    ]
    assert len(outcome.responses) == 4
    assert all(f["classifyingkey1"] == f"{RU},{KG}" for f in forms)


def test_token_cannot_split_below_one_value_set(genesis, token_client):
    genesis.state.value_limit = 5
    with pytest.raises(TableTooBig) as caught:
        fetch_table(token_client, make_request(2025, 2025, countries=(RU,), measures=("WERTA",)))
    assert caught.value.code == 98 and TABLE in str(caught.value)


def test_user_runs_a_background_job_for_a_too_big_request(genesis, user_client):
    request = make_request(2019, 2026)
    genesis.state.value_limit = 100
    outcome = fetch_table(user_client, request)
    received = list(genesis.state.received)
    assert [r.endpoint for r in received] == [
        "data/tablefile",
        "data/tablefile",
        "catalogue/results",
        "catalogue/results",
        "catalogue/results",
        "data/resultfile",
    ]
    assert [received[0].form["job"], received[1].form["job"]] == ["false", "true"]
    job_name = received[2].form["selection"]
    assert job_name.startswith(f"{TABLE}_")
    assert all(r.form == {"selection": job_name, "area": "user", "pagelength": "1"} for r in received[2:5])
    assert received[5].form["name"] == job_name
    assert all((r.headers["username"], r.headers["password"]) == (USER, PASSWORD) for r in received)
    (response,) = outcome.responses
    assert response.endpoint == "data/resultfile" and response.kind == "zip"
    genesis.state.value_limit = 40_000
    assert rows_of(outcome.responses) == rows_of(user_client.tablefile(request).responses)
    assert len(rows_of(outcome.responses)) == 2 * 2 * (7 * 12 + 9)


def test_real_recorded_job_exchange_is_followed(genesis, user_client):
    folder = "12531-0043"
    bodies = {
        name: recording(folder, name).read_bytes()
        for name in (
            "001-data-tablefile.json",
            "002-data-tablefile.json",
            "003-catalogue-results.json",
            "004-catalogue-results.json",
            "408-catalogue-results.json",
            "409-data-resultfile.zip",
        )
    }
    json_type = {"Content-Type": "application/json;charset=UTF-8"}
    for name in ("001-data-tablefile.json", "002-data-tablefile.json"):
        genesis.state.add_fault(Fault(endpoint="data/tablefile", body=bodies[name], headers=json_type))
    for name in ("003-catalogue-results.json", "004-catalogue-results.json", "408-catalogue-results.json"):
        genesis.state.add_fault(Fault(endpoint="catalogue/results", body=bodies[name], headers=json_type))
    genesis.state.add_fault(
        Fault(endpoint="data/resultfile", body=bodies["409-data-resultfile.zip"], headers={"Content-Type": "application/zip"})
    )
    request = TableRequest("12531-0043", (RU,), ("WERTA",), 2024, 2024)
    outcome = fetch_table(user_client, request)
    (response,) = outcome.responses
    assert response.sha256 == hashlib.sha256(bodies["409-data-resultfile.zip"]).hexdigest()
    received = genesis.state.received
    assert [r.endpoint for r in received] == ["data/tablefile"] * 2 + ["catalogue/results"] * 3 + ["data/resultfile"]
    recorded = [json.loads(line) for line in recording(folder, "exchanges.jsonl").read_text().splitlines()]
    assert received[2].form == recorded[2]["form"]  # the poll is the one pystatis sent to real GENESIS
    assert received[5].form["name"] == recorded[5]["form"]["name"] == "12531-0043_175879554"


def test_job_that_never_finishes_times_out_clearly(genesis, settings):
    settings.genesis.job_timeout_seconds = 0.1
    client = build_client(settings, Credentials(USER, PASSWORD))
    genesis.state.value_limit = 10
    genesis.state.job_polls = 10_000
    try:
        with pytest.raises(GenesisError, match=r"background job 51000-0004_\d+ not finished after 0.1 s") as caught:
            fetch_table(client, make_request())
    finally:
        client.close()
    assert caught.value.table == TABLE
    assert "job_timeout_seconds" in str(caught.value)
    assert not genesis.state.requests_to("data/resultfile")


def test_token_asking_for_a_job_gets_a_clear_error(genesis, token_client):
    assert not token_client.can_run_jobs
    with pytest.raises(GenesisError) as caught:
        token_client.tablefile_job(make_request())
    message = str(caught.value)
    assert "GENESIS_USERNAME" in message and "GENESIS_PASSWORD" in message
    assert "token" in message and message.startswith(f"{TABLE}: ")
    assert genesis.state.received == []  # nothing was sent


# -- at most 3 in flight -------------------------------------------------------------------------


def test_at_most_three_requests_in_flight(genesis, token_client):
    plan = [
        PlannedRequest(make_request(year, year, countries=countries), None)
        for year in (2023, 2024, 2025)
        for countries in ((RU,), (KG,), (RU, KG))
    ]
    for _ in plan:
        genesis.state.add_fault(Fault(stall_seconds=0.15))
    fetched = fetch_planned(token_client, plan, max_in_flight=len(plan))  # 9 threads: the client must hold them back
    assert len(genesis.state.received) == 9
    assert 1 < genesis.state.max_in_flight <= 3
    for item in fetched:
        (response,) = item.outcome.responses
        countries = {row[0] for row in rows_of([response])}
        assert countries == set(item.planned.request.countries)


def test_at_most_three_in_flight_from_plain_threads(genesis, token_client):
    for _ in range(9):
        genesis.state.add_fault(Fault(stall_seconds=0.1))
    errors = []

    def fetch():
        try:
            token_client.tablefile(make_request(2025, 2025))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert 1 < genesis.state.max_in_flight <= 3


def test_every_request_holds_the_injected_slot_job_polls_and_retries_too(genesis, settings):
    """The slot is what flows.orchestration.request_slots turns into a Prefect global limit: each HTTP request,
    retried ones and job polls included, must run inside one, and leave it even when it fails."""
    held: list[tuple[int, int]] = []  # (requests the server had received on entering, on leaving)

    @contextmanager
    def recording_slot():
        entered = len(genesis.state.received)
        try:
            yield
        finally:
            held.append((entered, len(genesis.state.received)))

    client = build_client(settings, Credentials(USER, PASSWORD), request_slot=recording_slot)
    genesis.state.value_limit = 100  # too big for a dialog request: a background job
    genesis.state.add_fault(Fault(endpoint="catalogue/results", http_status=503))
    genesis.state.add_fault(Fault(endpoint="data/resultfile", http_status=404))
    try:
        with pytest.raises(GenesisError, match="HTTP 404"):
            fetch_table(client, make_request(2019, 2026))
    finally:
        client.close()

    endpoints = [r.endpoint for r in genesis.state.received]
    assert endpoints == ["data/tablefile"] * 2 + ["catalogue/results"] * 4 + ["data/resultfile"]
    assert held == [(n, n + 1) for n in range(len(endpoints))]  # one slot per request, each released


# -- logincheck ----------------------------------------------------------------------------------


def test_logincheck_with_a_valid_token(genesis, token_client):
    ok, status = token_client.logincheck()
    assert ok is True and "erfolgreich" in status


def test_logincheck_with_valid_user_and_password(genesis, user_client):
    assert user_client.logincheck()[0] is True


@pytest.mark.parametrize("credentials", [Credentials("WRONG-TOKEN", ""), Credentials(USER, "wrong-password")])
def test_logincheck_with_wrong_credentials(genesis, settings, credentials):
    client = build_client(settings, credentials)
    try:
        ok, status = client.logincheck()
    finally:
        client.close()
    assert ok is False and "Fehler" in status
    (r,) = genesis.state.received
    assert r.endpoint == "helloworld/logincheck" and r.form == {"language": "de"}


# -- credentials ---------------------------------------------------------------------------------


def test_credentials_from_env_token():
    credentials = Credentials.from_env({"GENESIS_TOKEN": f"  {TOKEN}\n"})
    assert credentials.is_token
    assert credentials.headers() == {"username": TOKEN, "password": ""}


def test_credentials_from_env_user_and_password():
    credentials = Credentials.from_env({"GENESIS_USERNAME": USER, "GENESIS_PASSWORD": PASSWORD})
    assert not credentials.is_token
    assert credentials.headers() == {"username": USER, "password": PASSWORD}


def test_credentials_from_env_nothing_set():
    assert Credentials.from_env({}) is None
    with pytest.raises(ConfigError, match="GENESIS_TOKEN"):
        require_credentials({})


def test_credentials_from_env_token_and_user_is_an_error():
    with pytest.raises(ConfigError, match="Both GENESIS_TOKEN and GENESIS_USERNAME") as caught:
        Credentials.from_env({"GENESIS_TOKEN": TOKEN, "GENESIS_USERNAME": USER, "GENESIS_PASSWORD": PASSWORD})
    for secret in SECRETS:
        assert secret not in str(caught.value)


@pytest.mark.parametrize("password", [None, ""])
def test_credentials_from_env_user_without_password_is_an_error(password):
    env = {"GENESIS_USERNAME": USER} | ({} if password is None else {"GENESIS_PASSWORD": password})
    with pytest.raises(ConfigError, match="GENESIS_PASSWORD") as caught:
        Credentials.from_env(env)
    assert USER not in str(caught.value)


@pytest.mark.parametrize("credentials", [Credentials(TOKEN, ""), Credentials(USER, PASSWORD)])
def test_credentials_never_show_the_secret(credentials):
    shown = [
        repr(credentials),
        str(credentials),
        f"{credentials}",
        f"{credentials!r}",
        repr([credentials]),
        repr({"c": credentials}),
    ]
    for text in shown:
        for secret in SECRETS:
            assert secret not in text
    assert ("token" if credentials.is_token else "user+password") in repr(credentials)


def test_client_repr_and_errors_do_not_show_the_secret(genesis, token_client):
    genesis.state.add_fault(Fault(status_code=12))
    with pytest.raises(GenesisStatusError) as caught:
        token_client.tablefile(make_request())
    for text in (repr(token_client), str(caught.value), repr(caught.value)):
        assert TOKEN not in text


# -- requests and the plan -----------------------------------------------------------------------


def test_request_values_and_key():
    request = make_request(2020, 2022)
    assert request.values == 2 * 2 * 12 * 3
    assert request.key == make_request(2020, 2022).key
    assert request.key != make_request(2020, 2023).key
    assert request.key != make_request(2020, 2022, language="en").key
    assert len(request.key) == 16


def test_split_by_years_then_measures_then_countries():
    request = make_request(2019, 2022)
    first, second = request.split()
    assert (first.startyear, first.endyear, second.startyear, second.endyear) == (2019, 2020, 2021, 2022)
    one_year = make_request(2022, 2022)
    a, b = one_year.split()
    assert (a.measures, b.measures) == (("WERTA",), ("WERTE",)) and a.countries == b.countries == (RU, KG)
    c, d = make_request(2022, 2022, measures=("WERTA",)).split()
    assert (c.countries, d.countries) == ((RU,), (KG,))
    assert make_request(2022, 2022, countries=(RU,), measures=("WERTA",)).split() == []


COUNTRY_CODES = [f"STLAH{n:03d}" for n in range(1, 40)]
MEASURE_CODES = ["WERTA", "WERTE", "WERTAS", "WERTES", "GEWA", "GEWE"]


@st.composite
def plans(draw):
    countries = tuple(draw(st.lists(st.sampled_from(COUNTRY_CODES), min_size=1, max_size=12, unique=True)))
    measures = tuple(draw(st.lists(st.sampled_from(MEASURE_CODES), min_size=1, max_size=6, unique=True)))
    per_year = len(countries) * len(measures) * 12
    value_limit = draw(st.integers(min_value=per_year, max_value=max(per_year, 40_000)))
    first = draw(st.integers(min_value=1990, max_value=2030))
    last = draw(st.integers(min_value=first, max_value=2035))
    return countries, measures, value_limit, first, last


@hypothesis_settings(max_examples=150, deadline=None)
@given(plans())
def test_plan_years_covers_the_range_in_chunks_below_the_limit(case):
    countries, measures, value_limit, first, last = case
    requests = plan_years(TableRequest(TABLE, countries, measures, 0, 0), first, last, value_limit=value_limit)
    assert requests
    assert requests[0].startyear == first and requests[-1].endyear == last
    for before, after in zip(requests, requests[1:]):
        assert after.startyear == before.endyear + 1  # contiguous, no gaps, no overlaps
    for r in requests:
        assert r.startyear <= r.endyear
        assert r.values <= value_limit
        assert (r.table, r.countries, r.measures, r.language) == (TABLE, countries, measures, "de")


@hypothesis_settings(max_examples=150, deadline=None)
@given(plans(), st.integers(min_value=0, max_value=15), st.integers(min_value=0, max_value=5))
def test_plan_years_chunks_are_aligned_when_the_range_moves(case, later_first, later_last):
    countries, measures, value_limit, first, last = case

    def plan(a: int, b: int) -> list[TableRequest]:
        return plan_years(TableRequest(TABLE, countries, measures, 0, 0), a, b, value_limit=value_limit)

    wide = {r.key for r in plan(first, last + later_last)}
    moved_first = plan(min(first + later_first, last), last)
    # every chunk but the (possibly cut) first and last ones is the very same request, same key
    for r in moved_first[1:-1]:
        assert r.key in wide
    narrow = plan(first, last)
    for r in narrow[:-1]:
        assert r.key in wide


def test_plan_years_aligned_example():
    # 2 countries x 2 measures x 12 months = 48 values per year; 200 allows 4 years per request
    def plan(first: int) -> list[tuple[int, int]]:
        requests = plan_years(TableRequest(TABLE, (RU, KG), ("WERTA", "WERTE"), 0, 0), first, 2026, value_limit=200)
        return [(r.startyear, r.endyear) for r in requests]

    assert plan(2008) == [(2008, 2011), (2012, 2015), (2016, 2019), (2020, 2023), (2024, 2026)]
    assert plan(2010) == [(2010, 2011), (2012, 2015), (2016, 2019), (2020, 2023), (2024, 2026)]
    assert plan_years(TableRequest(TABLE, (RU,), ("WERTA",), 0, 0), 2026, 2025, value_limit=200) == []


def test_plan_years_never_plans_a_request_above_the_limit():
    requests = plan_years(TableRequest(TABLE, (RU, KG), ("WERTA", "WERTE"), 0, 0), 2024, 2025, value_limit=24)
    assert requests and all(r.values <= 24 for r in requests)


def test_goods_tables_send_the_goods_variable_and_plan_with_the_goods_count():
    goods = ("WA8703", "WA8708", "WA8471")
    template = TableRequest("51000-0012", (RU, KG), ("WERTA",), 0, 0, goods_variable="WAM4", goods=goods)
    requests = plan_years(template, 2020, 2025, value_limit=500)
    # 2 countries x 3 goods x 12 months = 72 values a year: 6 years fit, chunks aligned to multiples of 6
    assert [(r.startyear, r.endyear) for r in requests] == [(2020, 2021), (2022, 2025)]
    assert [r.values for r in requests] == [144, 288]
    form = requests[0].form()
    assert (form["classifyingvariable2"], form["classifyingkey2"]) == ("WAM4", "WA8703,WA8708,WA8471")
    assert "WAM4=WA8703,WA8708,WA8471" in requests[0].describe()
    one_year = TableRequest("51000-0012", (RU,), ("WERTA",), 2025, 2025, goods_variable="WAM4", goods=goods)
    assert [p.goods for p in one_year.split()] == [("WA8703",), ("WA8708", "WA8471")]


def test_all_goods_are_planned_with_the_estimate_and_left_to_a_job_when_still_too_big():
    template = TableRequest(
        "51000-0012", (RU,), ("WERTA", "WERTE"), 0, 0, goods_variable="WAM8", goods=("*",), goods_estimate=10_000
    )
    requests = plan_years(template, 2024, 2024, value_limit=40_000)
    # 10,000 goods x 12 months is above the limit even for one measure; "*" cannot be cut further
    assert [(r.measures, r.values) for r in requests] == [(("WERTA",), 120_000), (("WERTE",), 120_000)]
    assert "classifyingvariable2" in requests[0].form() and requests[0].form()["classifyingkey2"] == "*"


def test_a_table_by_country_only_sends_no_goods_variable():
    form = TableRequest(TABLE, (RU,), ("WERTA",), 2024, 2024).form()
    assert "classifyingvariable2" not in form and "classifyingkey2" not in form
