"""Security: credentials travel only in request headers and appear nowhere else; archived files are
named by hash, never by the server; `exportwatch sql` is read-only; CLI and configuration values
reach SQL only as parameters or validated identifiers.

The leak checks use recognisable secrets (a token, a user + password pair, wrong credentials, a
secret in an alert channel URL), run every command and every fault case the fake server can
script, and then grep everything that was written or printed: command output, log records,
exception texts, every file under the working folder (warehouse, raw archive, manifest, Prefect's
SQLite database with its logs and artifacts), and the rows of every database table.
"""

import base64
import hashlib
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path

import duckdb
import pytest

from flows.config import load_settings
from flows.demo.genesis_server import flat_file, select
from flows.errors import (
    ConfigError,
    ExportwatchError,
    FlatFileError,
    GenesisError,
    GenesisStatusError,
    GenesisTransportError,
    ValidationFailed,
)
from flows.genesis.credentials import Credentials
from flows.pipeline.fetch import build_client
from flows.pipeline.run import run_update
from tests.fake_genesis import Fault
from tests.support import FAST_CONFIG, TABLE, query, snapshot

pytestmark = pytest.mark.slow

SECRET_TOKEN = "LEAKCHECK-TOKEN-5f0e2d9c8b7a"
SECRET_USER = "leakcheck-user-31c4"
SECRET_PASSWORD = "LEAKCHECK-PASSWORD-a9b8c7d6"
WRONG_TOKEN = "LEAKCHECK-WRONGTOKEN-0d1e2f"
WRONG_PASSWORD = "LEAKCHECK-WRONGPASSWORD-4b5c"
CHANNEL_SECRET = "LEAKCHECK-CHANNEL-7e6f5a"
SECRETS = {
    "token": SECRET_TOKEN,
    "user": SECRET_USER,
    "password": SECRET_PASSWORD,
    "wrong token": WRONG_TOKEN,
    "wrong password": WRONG_PASSWORD,
    "channel secret": CHANNEL_SECRET,
    # the same secrets as HTTP Basic authentication would carry them
    "user:password (base64)": base64.b64encode(f"{SECRET_USER}:{SECRET_PASSWORD}".encode()).decode(),
    "channel userinfo (base64)": base64.b64encode(f"hookuser:{CHANNEL_SECRET}".encode()).decode(),
}
HEADER_PAIRS = {(SECRET_TOKEN, ""), (SECRET_USER, SECRET_PASSWORD), (WRONG_TOKEN, ""), (SECRET_USER, WRONG_PASSWORD)}
INJECTION = "RU'; DROP TABLE observations; --"
ALL_TABLES = ("raw_responses", "observations", "fetch_state", "countries", "update_runs", "quality_issues")


# -- finding secrets -------------------------------------------------------------------------------


def secrets_in(data: str | bytes) -> list[str]:
    if isinstance(data, str):
        return [name for name, secret in SECRETS.items() if secret in data]
    return [name for name, secret in SECRETS.items() if secret.encode() in data]


def secrets_in_database_rows(path: Path, head: bytes) -> list[str]:
    """Every row of every table, for databases whose pages might split or compress a string."""
    hits: list[str] = []
    if head.startswith(b"SQLite format 3\x00"):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in con.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        hits += [
                            f"{table}: {name}" for name in secrets_in(value if isinstance(value, (bytes, str)) else str(value))
                        ]
        finally:
            con.close()
    elif head[8:12] == b"DUCK":
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
            for schema, table in tables:
                for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                    for value in row:
                        hits += [
                            f"{table}: {name}" for name in secrets_in(value if isinstance(value, (bytes, str)) else str(value))
                        ]
        finally:
            con.close()
    return hits


def secrets_on_disk(root: Path) -> dict[str, list[str]]:
    """{file: [secret names]} for every file under root, by bytes and, for databases, by rows."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        hits = secrets_in(data) + secrets_in_database_rows(path, data[:16])
        if hits:
            found[str(path)] = hits
    return found


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def assert_credentials_only_in_headers(genesis) -> None:
    """Every request the fake server received: POST, nothing in the query string, no secret in the
    form body, the endpoint or any other header; username/password headers as the client holds them."""
    assert genesis.state.received
    for r in genesis.state.received:
        assert r.method == "POST" and r.query == "", r
        assert not secrets_in(r.endpoint) and not secrets_in(json.dumps(r.form)), r
        assert not {"username", "password"} & set(r.form), r
        assert (r.headers.get("username"), r.headers.get("password")) in HEADER_PAIRS, r.endpoint
        assert not secrets_in(json.dumps({k: v for k, v in r.headers.items() if k not in ("username", "password")})), r.headers


# -- commands as real processes --------------------------------------------------------------------


def exportwatch(
    *args: str, cwd: Path, env: dict | None = None, script: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """The command in a fresh process in cwd (so data/ is there), Prefect's home in cwd/data/prefect;
    with script, that Python code instead of the command line."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_", "PREFECT_"))}
    environment["PREFECT_HOME"] = str(cwd / "data" / "prefect")
    environment.update(env or {})
    command = ["-c", script] if script is not None else ["-m", "flows.cli", *args]
    return subprocess.run([sys.executable, *command], capture_output=True, text=True, env=environment, timeout=timeout, cwd=cwd)


# `exportwatch demo` with a spy on its own local server: which usernames did that server see?
DEMO_WITH_SPY = r"""
import hashlib, os, sys
sys.path.insert(0, REPOSITORY)  # tests.fake_genesis: the demo server with a log of what it received
import flows.demo.run as demo_run
from tests.fake_genesis import ScriptedGenesisServer, ScriptedGenesisState

user_token = os.environ.get("GENESIS_TOKEN", "")
states = []
original = demo_run.demo_state

def spied_state():
    state = original()
    spied = ScriptedGenesisState(tokens=state.tokens, users=state.users, value_limit=state.value_limit, job_polls=state.job_polls)
    for name in ("tables", "updated", "variable_order", "goods_variables"):
        setattr(spied, name, getattr(state, name))
    states.append(spied)
    return spied

demo_run.demo_state = spied_state
demo_run.GenesisServer = ScriptedGenesisServer
from flows.cli import app
try:
    app(args=["demo"], prog_name="exportwatch")
finally:
    received = [r for s in states for r in s.received]
    leaked = any(user_token and (user_token in r.headers.get("username", "") or user_token in r.headers.get("password", "") or user_token in r.query or user_token in str(r.form)) for r in received)
    print(f"demo server: {len(received)} request(s), user's token seen: {leaked}", flush=True)
""".replace("REPOSITORY", repr(str(Path(__file__).resolve().parents[1])))

CONFIG = (
    FAST_CONFIG
    + """
[warehouse]
lock_timeout_seconds = 5

[alerts]
delivery_attempts = 1
delivery_backoff_seconds = 0
"""
)


@pytest.fixture
def accounts(genesis):
    genesis.state.tokens.add(SECRET_TOKEN)
    genesis.state.users[SECRET_USER] = SECRET_PASSWORD
    return genesis


def test_no_command_leaks_a_credential(accounts, tmp_path, receiver):
    genesis = accounts
    work = tmp_path / "work"  # the working folder: exportwatch.toml, data/ (warehouse, raw, prefect)
    work.mkdir()
    (work / "exportwatch.toml").write_text(CONFIG, encoding="utf-8")
    port = receiver.server_address[1]
    channel = f"json://hookuser:{CHANNEL_SECRET}@127.0.0.1:{port}/hook"
    channel_down = f"json://hookuser:{CHANNEL_SECRET}@127.0.0.1:9/hook"
    base = {"GENESIS_API_URL": genesis.base_url, "EXPORTWATCH_ALERTS__CHANNELS": json.dumps([channel])}
    token_env = base | {"GENESIS_TOKEN": SECRET_TOKEN}
    user_env = base | {"GENESIS_USERNAME": SECRET_USER, "GENESIS_PASSWORD": SECRET_PASSWORD}
    runs: list[tuple[str, subprocess.CompletedProcess, float]] = []

    def run(label: str, *args: str, env: dict, script: str | None = None) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = exportwatch(*args, cwd=work, env=env, script=script)
        runs.append((label, result, time.monotonic() - started))
        return result

    # update with user + password; the table is too big for a dialog request, so it runs as a job
    genesis.state.value_limit = 100
    result = run("update (user+password, job)", "update", env=user_env)
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout
    assert genesis.state.requests_to("data/resultfile"), "the job path did not run"
    genesis.state.value_limit = 40_000

    # update with a token, failing after retries: the error path through Prefect's logs and the failure notice
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)
    for fault in (Fault(http_status=503), Fault(reset=True), Fault(status_code=-1)):
        genesis.state.add_fault(fault)
    result = run("update (token, fails)", "update", env=token_env)
    assert result.returncode == 1 and "kein Datenquader" in result.stderr, result.stderr
    assert genesis.state.faults == []

    db = work / "data" / "exportwatch.duckdb"
    before = snapshot(db, ALL_TABLES)
    assert before["observations"]

    # the rest in three parallel lanes: `runs` and `demo` each start a temporary Prefect API (the demo
    # with its own PREFECT_HOME, so the two do not share one SQLite file); the quick commands meanwhile
    quick = [
        ("check (token)", ("check",), token_env),
        ("check (user+password)", ("check",), user_env),
        ("check (wrong password)", ("check",), base | {"GENESIS_USERNAME": SECRET_USER, "GENESIS_PASSWORD": WRONG_PASSWORD}),
        ("check (wrong token)", ("check",), base | {"GENESIS_TOKEN": WRONG_TOKEN}),
        ("sql", ("sql", "--format", "json", "SELECT * FROM raw_responses"), token_env),
        ("sql (write)", ("sql", "DELETE FROM observations"), token_env),
        ("status", ("status",), token_env),
        ("alerts", ("alerts",), token_env),
        ("alerts --status pending", ("alerts", "--status", "pending"), token_env),
        ("alerts test", ("alerts", "test"), token_env | {"EXPORTWATCH_ALERTS__CHANNELS": json.dumps([channel, channel_down])}),
        ("update --country injection", ("update", "--country", INJECTION), token_env),
        ("backfill --country injection", ("backfill", "--country", INJECTION, "--since", "2020"), user_env),
    ]
    demo_env = token_env | {"PREFECT_HOME": str(work / "data" / "prefect-demo")}  # the user's token in the environment
    with ThreadPoolExecutor(max_workers=3) as lanes:
        for future in [
            lanes.submit(run, "runs", "runs", env=token_env),
            lanes.submit(run, "demo (token in env)", env=demo_env, script=DEMO_WITH_SPY),
            lanes.submit(lambda: [run(label, *args, env=env) for label, args, env in quick]),
        ]:
            future.result()
    results = {label: result for label, result, _ in runs}
    assert results["check (token)"].returncode == 0 and results["check (user+password)"].returncode == 0
    assert (
        results["check (wrong password)"].returncode == 1
        and "rejected the credentials" in results["check (wrong password)"].stderr
    )
    assert results["check (wrong token)"].returncode == 1
    assert results["sql"].returncode == 0 and '"endpoint": "data/resultfile"' in results["sql"].stdout
    assert results["sql (write)"].returncode == 1 and "read-only" in results["sql (write)"].stderr
    assert results["status"].returncode == 0 and "Russian Federation" in results["status"].stdout
    assert results["alerts"].returncode == 0 and "russia-exports-yoy" in results["alerts"].stdout
    assert results["alerts test"].returncode == 1  # the second channel is down
    assert "ok     json://hookuser:****@127.0.0.1" in results["alerts test"].stdout
    assert "FAILED json://hookuser:****@127.0.0.1:9" in results["alerts test"].stdout
    for label in ("update --country injection", "backfill --country injection"):
        assert results[label].returncode == 1 and "Unknown country" in results[label].stderr, results[label].stderr
    assert results["runs"].returncode == 0 and "update-trade" in results["runs"].stdout
    assert "Failed" in results["runs"].stdout and "Completed" in results["runs"].stdout
    assert snapshot(db, ALL_TABLES) == before  # neither the write nor the injection changed anything
    # the demo must not send the user's token to its own server (a spy in the process watches that server)
    demo = results["demo (token in env)"]
    assert demo.returncode == 0, demo.stderr
    assert "exportwatch demo" in demo.stdout and "observations in data/demo.duckdb" in demo.stdout
    assert re.search(r"demo server: [1-9]\d* request\(s\), user's token seen: False", demo.stdout), demo.stdout

    # the alert channel really received messages: digest, failure notice, test message
    titles = [m["title"] for m in receiver.messages]
    assert any("failed" in t for t in titles) and "exportwatch: test message" in titles

    # -- the grep --
    hits = {label: secrets_in(r.stdout) + secrets_in(r.stderr) for label, r, _ in runs}
    hits = {label: h for label, h in hits.items() if h}
    hits |= {f"file {path}": h for path, h in secrets_on_disk(tmp_path).items()}
    hits |= {
        f"receiver message {i}": secrets_in(json.dumps(m)) for i, m in enumerate(receiver.messages) if secrets_in(json.dumps(m))
    }
    timings = ", ".join(f"{label} {seconds:.1f} s" for label, _, seconds in runs)
    scanned = files_under(tmp_path)
    print(f"\n{len(runs)} processes ({timings}); {len(scanned)} files scanned; hits: {len(hits)}")
    assert hits == {}
    assert any(p.suffix == ".duckdb" for p in scanned) and any("prefect" in p.parts for p in scanned)
    assert (work / "data" / "raw" / "manifest.jsonl").is_file() and (work / "data" / "demo.duckdb").is_file()
    # what was scanned holds what it should: Prefect's run logs with the error, and the run's artifact
    prefect_db = sqlite3.connect(f"file:{work / 'data' / 'prefect' / 'prefect.db'}?mode=ro", uri=True)
    try:
        assert prefect_db.execute("SELECT count(*) FROM log WHERE message LIKE '%kein Datenquader%'").fetchone()[0] > 0
        assert prefect_db.execute("SELECT count(*) FROM artifact WHERE key = 'exportwatch-update'").fetchone()[0] > 0
    finally:
        prefect_db.close()
    assert_credentials_only_in_headers(genesis)
    seen = {(r.headers.get("username"), r.headers.get("password")) for r in genesis.state.received}
    assert {(SECRET_TOKEN, ""), (SECRET_USER, SECRET_PASSWORD), (WRONG_TOKEN, ""), (SECRET_USER, WRONG_PASSWORD)} <= seen


def test_alert_channel_header_secrets_are_not_shown(receiver, tmp_path):
    up = f"json://127.0.0.1:{receiver.server_address[1]}/hook?+X-Api-Key={CHANNEL_SECRET}"
    down = f"json://127.0.0.1:9/hook?+X-Api-Key={CHANNEL_SECRET}"

    result = exportwatch("alerts", "test", cwd=tmp_path, env={"EXPORTWATCH_ALERTS__CHANNELS": json.dumps([up, down])})

    assert result.returncode == 1 and "ok     json://127.0.0.1" in result.stdout and "FAILED json://127.0.0.1:9" in result.stdout
    assert secrets_in(result.stdout + result.stderr) == []


# -- every fault case, in process, with every log record ---------------------------------------------


def faults(*items: Fault) -> list[Fault]:
    return list(items)


def sql_in_header(text: str) -> str:
    """Two more header columns whose names try to break out of the SQL they are quoted into, and an
    empty value for them on every row: they must be treated as names (and ignored), never as SQL."""
    lines = text.split("\n")
    evil = ["x'): 'VARCHAR'}) UNION ALL SELECT 1 --", "y\\' OR 1=1 --"]
    return "\n".join([lines[0] + ";" + ";".join(evil)] + [line + ";" * len(evil) if line else line for line in lines[1:]])


# name -> (faults, expected: "ok" or an error type, client: token | timeout | user | wrong token | wrong password)
FAULT_CASES = {
    "http-500": (faults(Fault(http_status=500)), "ok", "token"),
    "http-502": (faults(Fault(http_status=502)), "ok", "token"),
    "http-503": (faults(Fault(http_status=503)), "ok", "token"),
    "http-504": (faults(Fault(http_status=504)), "ok", "token"),
    "http-429": (faults(Fault(http_status=429, headers={"Retry-After": "0"})), "ok", "token"),
    "http-503 until attempts run out": (faults(*(Fault(http_status=503) for _ in range(5))), GenesisTransportError, "token"),
    "http-404": (faults(Fault(http_status=404)), GenesisError, "token"),
    "http-301": (faults(Fault(http_status=301, headers={"Location": "https://genesis.destatis.de/"})), GenesisError, "token"),
    "connection reset": (faults(Fault(reset=True)), "ok", "token"),
    "connection reset every time": (faults(*(Fault(reset=True) for _ in range(5))), GenesisTransportError, "token"),
    "stall (timeout)": (faults(Fault(stall_seconds=1.5)), "ok", "timeout"),
    "stall mid body (timeout)": (faults(Fault(stall_mid_body_seconds=1.5)), "ok", "timeout"),
    "stall every time": (faults(*(Fault(stall_seconds=1.0) for _ in range(5))), GenesisTransportError, "timeout"),
    "status 6": (faults(Fault(status_code=6)), "ok", "token"),
    "status 6 every time": (faults(*(Fault(status_code=6) for _ in range(5))), GenesisTransportError, "token"),
    "status 12": (faults(Fault(status_code=12)), GenesisStatusError, "token"),
    "status 22": (faults(Fault(status_code=22)), "ok", "token"),
    "status 50": (faults(Fault(status_code=50)), "ok", "token"),
    "status 90": (faults(Fault(status_code=90)), GenesisStatusError, "token"),
    "status 98 (token splits)": (faults(Fault(status_code=98)), "ok", "token"),
    "status 99 without a job": (faults(Fault(status_code=99)), GenesisStatusError, "token"),
    "status 104": (faults(Fault(status_code=104)), GenesisStatusError, "token"),
    "status -1": (faults(Fault(status_code=-1)), GenesisStatusError, "token"),
    "HTML page": (
        faults(Fault(body=b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>", headers={"Content-Type": "text/html"})),
        GenesisError,
        "token",
    ),
    "broken JSON": (
        faults(Fault(body=b'{"Status": {"Code": 98, "Content": "Die Tab', headers={"Content-Type": "application/json"})),
        GenesisError,
        "token",
    ),
    "truncated ZIP": (faults(Fault(truncate_zip=True)), FlatFileError, "token"),
    "ZIP with 0 members": (faults(Fault(zip_members=[])), FlatFileError, "token"),
    "ZIP with 2 members": (faults(Fault(zip_members=[("a_flat.csv", b"x"), ("b_flat.csv", b"y")])), FlatFileError, "token"),
    "broken CSV: not a number": (
        faults(Fault(csv_transform=lambda t: t.replace(",125;", ",1x5;", 1))),
        ValidationFailed,
        "token",
    ),
    "broken CSV: old format": (
        faults(Fault(csv_transform=lambda t: "Statistik_Code;Statistik_Label\n51000;x\n")),
        FlatFileError,
        "token",
    ),
    "broken CSV: garbage": (faults(Fault(csv_transform=lambda t: '\x00\x01garbage\n"unclosed;quote\n')), FlatFileError, "token"),
    "broken CSV: Latin-1": (faults(Fault(encoding="latin-1")), FlatFileError, "token"),
    "SQL in header names": (faults(Fault(csv_transform=sql_in_header)), "ok", "token"),
    "job": (faults(), "ok", "user"),
    "job: catalogue/results HTTP 503": (faults(Fault(endpoint="catalogue/results", http_status=503)), "ok", "user"),
    "job: catalogue/results status 12": (faults(Fault(endpoint="catalogue/results", status_code=12)), GenesisStatusError, "user"),
    "job: resultfile status -1": (faults(Fault(endpoint="data/resultfile", status_code=-1)), GenesisStatusError, "user"),
    "job: resultfile truncated ZIP": (faults(Fault(endpoint="data/resultfile", truncate_zip=True)), FlatFileError, "user"),
    "wrong token": (faults(), GenesisStatusError, "wrong token"),
    "wrong password": (faults(), GenesisStatusError, "wrong password"),
}


def test_no_fault_case_leaks_a_credential(accounts, settings, tmp_path, caplog):
    genesis = accounts
    caplog.set_level(logging.DEBUG)  # the root logger: every logger that propagates
    for name in ("httpx", "httpcore", "flows", "warehouse"):
        caplog.set_level(logging.DEBUG, logger=name)
    credentials = {
        "token": Credentials(SECRET_TOKEN, ""),
        "timeout": Credentials(SECRET_TOKEN, ""),
        "user": Credentials(SECRET_USER, SECRET_PASSWORD),
        "wrong token": Credentials(WRONG_TOKEN, ""),
        "wrong password": Credentials(SECRET_USER, WRONG_PASSWORD),
    }
    texts: list[str] = []
    outcomes: dict[str, str] = {}

    def run(kind: str) -> str:
        if kind == "timeout":
            settings.genesis.timeout_seconds = 0.5
        client = build_client(settings, credentials[kind])
        settings.genesis.timeout_seconds = 5
        try:
            report = run_update(settings, client)
            texts.append(repr(report))
            return "ok"
        except ExportwatchError as error:
            texts.extend([str(error), repr(error), "".join(traceback.format_exception(error))])
            return type(error).__name__
        finally:
            texts.append(repr(client))
            client.close()

    assert run("token") == "ok"  # a first full load
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)  # from now on every request gets data
    for name, (case_faults, expected, kind) in FAULT_CASES.items():
        genesis.state.value_limit = 100 if kind == "user" else 40_000  # too big for a dialog request: a job
        for fault in case_faults:
            genesis.state.add_fault(fault)
        outcome = run(kind)
        outcomes[name] = outcome
        assert genesis.state.faults == [], f"{name}: not every fault was used"
        if expected == "ok":
            assert outcome == "ok", f"{name}: {outcome}: {texts[-3]}"
        elif expected is not None:
            assert outcome == expected.__name__, f"{name}: {outcome}"
    assert query(settings.warehouse.path, "SELECT count(*) FROM observations")[0][0] > 0
    assert query(settings.warehouse.path, "SELECT count(*) FROM update_runs WHERE status = 'failed'")[0][0] >= 20
    assert query(settings.warehouse.path, "SELECT count(*) FROM quality_issues")[0][0] > 0
    assert "retrying in" in caplog.text and "HTTP Request: POST" in caplog.text  # the logs were captured

    log_text = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    hits = {"log": secrets_in(log_text), "exceptions and reports": secrets_in("\n".join(texts))}
    hits = {k: v for k, v in hits.items() if v}
    hits |= secrets_on_disk(tmp_path)  # warehouse rows (update_runs.error, quality_issues, raw_responses), raw/, manifest
    print(
        f"\n{len(FAULT_CASES)} fault cases: {outcomes}; {len(genesis.state.received)} requests; {len(files_under(tmp_path))} files; hits: {len(hits)}"
    )
    assert hits == {}
    assert_credentials_only_in_headers(genesis)


# -- archive file names come from hashes ------------------------------------------------------------


def test_server_supplied_file_names_do_not_escape_the_archive(accounts, settings, tmp_path, monkeypatch):
    genesis = accounts
    cwd = tmp_path / "work" / "a" / "b"  # so that ../../ from the working folder stays inside tmp_path
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    absolute = tmp_path / "evil-absolute.zip"
    dispositions = [
        "attachment; filename=../../evil.zip",
        'attachment; filename="../../../evil-quoted.zip"',
        "attachment; filename*=UTF-8''..%2F..%2Fevil-encoded.zip",
        f'attachment; filename="{absolute}"',
    ]
    for disposition in dispositions:
        genesis.state.add_fault(Fault(headers={"Content-Disposition": disposition}))
    flat = flat_file(genesis.state, TABLE, select(genesis.state, {"name": TABLE}), "de").encode("utf-8-sig")
    genesis.state.add_fault(
        Fault(
            zip_members=[("../../evil-member_flat.csv", flat)],
            headers={"Content-Disposition": "attachment; filename=../evil2.zip"},
        )
    )
    client = build_client(settings, Credentials(SECRET_TOKEN, ""))
    try:
        for _ in range(5):
            try:
                run_update(settings, client)
            except ExportwatchError:
                pass
            genesis.state.updated[TABLE] = datetime(2099, 1, 1)
            if not genesis.state.faults:
                break
    finally:
        client.close()
    assert genesis.state.faults == [], "not every Content-Disposition was sent"

    archive = settings.warehouse.archive_dir
    manifest = [json.loads(line) for line in (archive / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(manifest) >= len(dispositions) + 1
    for line in manifest:
        assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{64}\.(zip|json|html|bin)", line["path"]), line["path"]
        path = archive / line["path"]
        assert path.name.startswith(line["sha256"]) and hashlib.sha256(path.read_bytes()).hexdigest() == line["sha256"]
    assert not [p for p in tmp_path.rglob("*evil*")], "a server-supplied name was used"
    assert not absolute.exists()
    data = settings.warehouse.path.parent
    outside = [p for p in files_under(tmp_path) if not p.is_relative_to(data)]
    assert outside == [], outside
    for path in files_under(archive):
        assert path.name == "manifest.jsonl" or re.fullmatch(r"[0-9a-f]{64}\.(zip|json|html|bin)", path.name), path


# -- exportwatch sql is read-only; CLI and config values reach SQL only as parameters ----------------


@pytest.fixture
def loaded(accounts, settings):
    client = build_client(settings, Credentials(SECRET_TOKEN, ""))
    try:
        run_update(settings, client)
    finally:
        client.close()
    return settings.warehouse.path


WRITES = [
    "DELETE FROM observations",
    "DROP TABLE observations",
    "UPDATE observations SET value = 0",
    "INSERT INTO countries SELECT * FROM countries",
    "CREATE TABLE evil AS SELECT 1 AS x",
    "SELECT 1; DELETE FROM observations",
]


def test_sql_refuses_every_write_and_the_warehouse_stays_unchanged(loaded, tmp_path):
    before = snapshot(loaded, ALL_TABLES)
    for statement in WRITES:
        result = exportwatch("sql", "--db", str(loaded), statement, cwd=tmp_path)
        assert result.returncode == 1, (statement, result.stdout)
        assert "read-only" in result.stderr, (statement, result.stderr)
    assert snapshot(loaded, ALL_TABLES) == before
    assert "evil" not in {r[0] for r in query(loaded, "SELECT table_name FROM duckdb_tables()")}


@pytest.mark.parametrize("kind", ["copy-over-the-warehouse", "attach-another-file-read-write"])
def test_sql_cannot_write_files_either(loaded, tmp_path, kind):
    other = tmp_path / "snapshot.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE observations AS SELECT 1 AS x")
    con.close()
    statement = {
        "copy-over-the-warehouse": f"COPY (SELECT 'overwritten') TO '{loaded}' (FORMAT csv)",
        "attach-another-file-read-write": f"ATTACH '{other}' AS other (READ_WRITE); DELETE FROM other.observations",
    }[kind]
    before = snapshot(loaded, ALL_TABLES)

    result = exportwatch("sql", "--db", str(loaded), statement, cwd=tmp_path)

    assert result.returncode == 1, result.stdout
    assert snapshot(loaded, ALL_TABLES) == before
    assert query(other, "SELECT count(*) FROM observations") == [(1,)]


def test_a_country_with_sql_in_it_is_an_unknown_country(loaded, tmp_path):
    before = snapshot(loaded, ALL_TABLES)
    env = {"GENESIS_TOKEN": SECRET_TOKEN, "GENESIS_API_URL": "http://127.0.0.1:9/"}
    for args in (
        ("update", "--db", str(loaded), "--country", INJECTION),
        ("backfill", "--db", str(loaded), "--country", INJECTION, "--since", "2020"),
    ):
        result = exportwatch(*args, cwd=tmp_path, env=env)
        assert result.returncode == 1
        assert f"Unknown country {INJECTION!r}" in result.stderr, result.stderr
    assert snapshot(loaded, ALL_TABLES) == before


@pytest.mark.parametrize(
    "toml,named",
    [
        ('[watchlist]\ntable = "51000-0004\'; DROP TABLE observations; --"\n', "watchlist.table"),
        (f'[watchlist]\ncountries = ["{INJECTION}"]\n', "Unknown country"),
        ('[watchlist]\nmeasures = ["WERTA\'); DROP TABLE observations; --"]\n', "watchlist.measures"),
        (
            '[[alerts.rules]]\nname = "x\'); DROP TABLE alerts; --"\ncountries = ["RU"]\nthreshold = -20.0\n',
            "alerts.rules.0.name",
        ),
        (f'[[alerts.rules]]\nname = "ok"\ncountries = ["{INJECTION}"]\nthreshold = -20.0\n', "Unknown country"),
    ],
    ids=["table", "countries", "measures", "rule-name", "rule-countries"],
)
def test_config_values_that_reach_sql_are_validated(tmp_path, toml, named):
    config = tmp_path / "exportwatch.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert named in str(caught.value)


# -- the report page ------------------------------------------------------------------------------

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def hostile_report(**changes):
    """A ReportData whose every text (names, codes, labels, rule names, the path) is markup."""
    from flows.report.build import ReportData

    month = {"month": date(2024, 12, 1)}
    series = [month | {"value_eur": Decimal(10**6), "yoy_pct": -5.0, "mom_pct": 1.0, "quality": MARKUP}]
    route = [series[0] | {"country_code": MARKUP, "country_iso2": MARKUP, "country_name": MARKUP, "index_2021": 90.0}]
    data = ReportData(
        db_path=Path("/data") / MARKUP,
        made_at=datetime(2026, 1, 1),
        table_code=MARKUP,
        country_code=MARKUP,
        country_iso2=MARKUP,
        country_name=MARKUP,
        series=series,
        alerts=[month | {"rule": MARKUP, "kind": MARKUP, "metric_value": -30.0, "threshold": -20.0}],
        revisions=[month | {"revisions": 1, "first_value": 1, "current_value": 2, "last_revised_at": datetime(2026, 1, 1)}],
        latest_months=[series[0] | {"flow": MARKUP, "revisions": 0, "first_published_at": None, "last_revised_at": None}],
        route_rows=route,
        route_names={MARKUP: MARKUP},
        goods_tables=[{"table_code": MARKUP, "goods_variable": MARKUP, "countries": 1}],
        goods_month=date(2024, 12, 1),
        top_goods=[
            {"rank": 1, "goods_code": MARKUP, "table_code": MARKUP, "goods_variable": MARKUP, "value_eur": 1}
            | dict.fromkeys(("value_eur_year_before", "change_eur", "change_pct", "contribution_pp"))
        ],
        last_load=None,
        priority_groups=route,
        priority_group_names={"sanctioned": MARKUP, "others": MARKUP},
        priority_top=[
            {"country_code": MARKUP, "country_iso2": MARKUP, "hs6": MARKUP, "tier": MARKUP, "description": MARKUP}
            | {"latest_month": date(2024, 12, 1)}
            | dict.fromkeys(("value_2021", "value_last_12", "increase_eur", "index_2021"))
        ],
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


@pytest.mark.parametrize("changes", [{}, {"top_goods": []}], ids=["goods", "goods-tables"])
def test_report_page_shows_markup_in_any_foreign_text_as_text(changes):
    from flows.report.charts import Png
    from flows.report.page import render

    images = {name: Png(b"", 960, 480, 2) for name in (MARKUP, "route.png", "priority.png")}
    html = render(hostile_report(**changes), MARKUP, "route.png", images, "priority.png")

    assert "<script" not in html.lower() and "<img src=x" not in html  # no tag opened by the data
    assert "\"'&" not in html  # nor an attribute closed: quotes and & are entities
    texts = unescape(html).count(MARKUP)
    assert texts >= 10, texts  # the markup is there, shown as text
