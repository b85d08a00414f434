"""The demo's GENESIS server on its own (flows/demo/genesis_server.py, none of the tests' faults)
answers in the shape of the real exchanges recorded in tests/fixtures/genesis-recordings: the
same envelopes, the same flat file layout, the same background-job dialogue."""

import io
import json
import re
import zipfile
from datetime import timedelta

import httpx
import pytest

from flows.demo.data import DEMO_PUBLISHED, DEMO_TABLE, DEMO_TOKEN, demo_state
from flows.demo.genesis_server import GenesisServer
from flows.genesis.client import format_stand
from tests.support import recording

JOB_FOLDER = "12531-0043"
USER, PASSWORD = "demo-user", "demo-password"


def recorded_exchanges() -> list[dict]:
    return [json.loads(line) for line in recording(JOB_FOLDER, "exchanges.jsonl").read_text(encoding="utf-8").splitlines()]


def recorded_json(folder: str, name: str) -> dict:
    return json.loads(recording(folder, name).read_text(encoding="utf-8"))


def recorded_flat_header(folder: str) -> list[str]:
    with zipfile.ZipFile(recording(folder, "001-data-tablefile.zip")) as archive:
        (member,) = archive.namelist()
        return archive.read(member).decode("utf-8-sig").split("\n", 1)[0].split(";")


@pytest.fixture
def demo_server():
    state = demo_state()
    state.users[USER] = PASSWORD  # the demo uses its token; a user account is what background jobs need
    with GenesisServer(state) as server:
        yield server


def post(server: GenesisServer, endpoint: str, form: dict[str, str], username=DEMO_TOKEN, password="") -> httpx.Response:
    headers = {"username": username, "password": password}
    return httpx.post(server.base_url + endpoint, data=form, headers=headers, timeout=10)


def tablefile_form(**changes: str) -> dict[str, str]:
    """The form pystatis sent to real GENESIS (recorded), for the demo table, with quality on as exportwatch asks."""
    return recorded_exchanges()[0]["form"] | {"name": DEMO_TABLE, "quality": "on"} | changes


def test_a_table_answers_a_zip_holding_one_flat_file_laid_out_as_real_genesis_does(demo_server):
    response = post(demo_server, "data/tablefile", tablefile_form())
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        (member,) = archive.namelist()
        data = archive.read(member)
    assert re.fullmatch(rf"{DEMO_TABLE}_\d+_de_flat\.csv", member)  # as 51000-0010_1773174953216_de_flat.csv
    assert data.startswith(b"\xef\xbb\xbf")
    header, first = data.decode("utf-8-sig").split("\n")[:2]
    # 51000-0010 has three variables too; quality=on adds value_q at the end (as 12211-Z-11 shows).
    assert "value_q" in recorded_flat_header("12211-Z-11")[-1:]
    assert header.split(";") == recorded_flat_header("51000-0010") + ["value_q"]
    assert first.startswith("51000;Außenhandel;JAHR;Jahr;")


@pytest.mark.parametrize(
    ("case", "code"),
    [("stand after the last update", 50), ("no such table", 90), ("no such years", 104), ("wrong token", 12)],
)
def test_status_answers_are_envelopes_shaped_like_the_recorded_ones(demo_server, case, code):
    form = {
        "stand after the last update": tablefile_form(stand=format_stand(DEMO_PUBLISHED + timedelta(hours=1))),
        "no such table": tablefile_form(name="51000-9999"),
        "no such years": tablefile_form(startyear="1990", endyear="1991"),
        "wrong token": tablefile_form(),
    }[case]
    response = post(demo_server, "data/tablefile", form, username="not-the-token" if case == "wrong token" else DEMO_TOKEN)
    recorded = recorded_json(JOB_FOLDER, "001-data-tablefile.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == list(recorded) and list(body["Status"]) == list(recorded["Status"])
    assert body["Ident"] == recorded["Ident"] and body["Status"]["Code"] == code
    assert (body["Parameter"]["username"], body["Parameter"]["password"]) == ("*" * 20, "*" * 20)
    assert DEMO_TOKEN not in response.text


def test_a_table_too_big_for_a_dialog_is_fetched_as_a_background_job_as_recorded(demo_server):
    """98 → job=true → 99 naming the job → catalogue/results 104 while it runs, then 0 → data/resultfile."""
    demo_server.state.value_limit = 10
    recorded = recorded_exchanges()
    as_user = {"username": USER, "password": PASSWORD}

    too_big = post(demo_server, "data/tablefile", tablefile_form(), **as_user).json()
    assert (too_big["Status"]["Code"], too_big["Status"]["Type"]) == (98, "Fehler")
    assert too_big["Status"] == recorded_json(JOB_FOLDER, "001-data-tablefile.json")["Status"]

    started = post(demo_server, "data/tablefile", tablefile_form(job="true"), **as_user).json()
    created = recorded_json(JOB_FOLDER, "002-data-tablefile.json")["Status"]
    job = started["Status"]["Content"].rsplit(": ", 1)[1]
    assert re.fullmatch(rf"{DEMO_TABLE}_\d{{1,9}}", job)
    assert started["Status"] == created | {"Content": created["Content"].replace("12531-0043_175879554", job)}

    poll = recorded[2]["form"] | {"selection": job}
    running = post(demo_server, "catalogue/results", poll, **as_user).json()
    assert running["Status"] == recorded_json(JOB_FOLDER, "003-catalogue-results.json")["Status"]
    polls = [post(demo_server, "catalogue/results", poll, **as_user).json() for _ in range(demo_server.state.job_polls)]
    assert [p["Status"]["Code"] for p in polls] == [104] * (demo_server.state.job_polls - 1) + [0]
    done = polls[-1]
    finished = recorded_json(JOB_FOLDER, "408-catalogue-results.json")
    assert list(done) == list(finished) and done["Status"] == finished["Status"]
    assert [list(item) for item in done["List"]] == [list(item) for item in finished["List"]]
    assert done["List"][0]["Code"] == job

    recorded_result = next(e for e in recorded if e["path"].endswith("data/resultfile"))
    result = post(demo_server, "data/resultfile", recorded_result["form"] | {"name": job}, **as_user)
    assert result.headers["content-disposition"] == f"attachment; filename={job}_flat.zip"
    assert recorded_result["headers"]["Content-Disposition"] == "attachment; filename=12531-0043_175879554_flat.zip"
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        assert archive.namelist() == [f"{job}_flat.csv"]
