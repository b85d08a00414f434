"""The fault matrix of flows/genesis/README.md, case by case, through the whole pipeline over HTTP.

Each case is one row of its table "When GENESIS misbehaves": either the run retries and
succeeds, or it fails with the message fragment given here, the data tables stay exactly as they
were, the raw body is archived, and the error names the table and the request."""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from flows.errors import ExportwatchError
from flows.genesis.credentials import Credentials
from flows.pipeline.fetch import build_client
from flows.pipeline.run import run_update
from tests.fake_genesis import Fault
from tests.support import TABLE, TOKEN, query, snapshot

FAULT_MATRIX_DOC = Path(__file__).resolve().parents[1] / "flows" / "genesis" / "README.md"


def rows(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.rstrip("\n").split("\n")
    return lines[0].split(";"), [line.split(";") for line in lines[1:]]


def join(header: list[str], body: list[list[str]]) -> str:
    return "\n".join(";".join(r) for r in [header, *body]) + "\n"


def drop_column(name: str):
    def transform(text: str) -> str:
        header, body = rows(text)
        i = header.index(name)
        return join(header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in body])

    return transform


def extra_column(text: str) -> str:
    header, body = rows(text)
    return join(header + ["comment"], [r + ["x"] for r in body])


def set_first(column: str, value: str):
    def transform(text: str) -> str:
        header, body = rows(text)
        body[0][header.index(column)] = value
        return join(header, body)

    return transform


def duplicate_first_row(text: str) -> str:
    header, body = rows(text)
    return join(header, [body[0], *body])


def header_only(text: str) -> str:
    return text.split("\n", 1)[0] + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    faults: tuple[Fault, ...]
    outcome: str  # "retried" or "fails" or "handled"
    message: str = ""


def times(n: int, fault: Fault) -> tuple[Fault, ...]:
    return tuple(fault for _ in range(n))


CASES = [
    Case("HTTP 500", (Fault(http_status=500),), "retried"),
    Case("HTTP 502", (Fault(http_status=502),), "retried"),
    Case("HTTP 503", (Fault(http_status=503),), "retried"),
    Case("HTTP 504", (Fault(http_status=504),), "retried"),
    Case("HTTP 429 with Retry-After", (Fault(http_status=429, headers={"Retry-After": "0"}),), "retried"),
    Case("HTTP 429 without Retry-After", (Fault(http_status=429),), "retried"),
    Case("read timeout", (Fault(stall_seconds=1.5),), "retried"),
    Case("stall mid-body", (Fault(stall_mid_body_seconds=1.5),), "retried"),
    Case("connection reset", (Fault(reset=True),), "retried"),
    Case("status 6 (too many requests)", (Fault(status_code=6),), "retried"),
    Case("status 22 (parameter adjusted)", (Fault(status_code=22),), "handled"),
    Case("status 98 (too big)", (), "handled"),
    Case("server down for good", times(5, Fault(http_status=503)), "fails", "no usable answer after 5 attempts"),
    Case(
        "Retry-After beyond the cap",
        (Fault(http_status=503, headers={"Retry-After": "86400"}),),
        "fails",
        "asked to come back in 86400 s",
    ),
    Case(
        "status code not an integer",
        (Fault(body=b'{"Status": {"Code": "Wartung", "Content": "x"}}', headers={"Content-Type": "application/json"}),),
        "fails",
        'a status code that is not an integer: "Wartung"',
    ),
    Case("status 12 (not authorised)", (Fault(status_code=12),), "fails", "GENESIS status 12"),
    Case("status 90 (no table)", (Fault(status_code=90),), "fails", "GENESIS status 90"),
    Case("status 99 outside a job", (Fault(status_code=99),), "fails", "GENESIS status 99"),
    Case("status 104 (no objects)", (Fault(status_code=104),), "fails", "GENESIS status 104"),
    Case("status -1 (error)", (Fault(status_code=-1),), "fails", "GENESIS status -1"),
    Case(
        "HTML page with HTTP 200",
        (Fault(body=b"<!DOCTYPE html><html>Wartung</html>", headers={"Content-Type": "text/html"}),),
        "fails",
        "GENESIS answered an HTML page: endpoint moved or maintenance",
    ),
    Case("truncated ZIP", (Fault(truncate_zip=True),), "fails", "the ZIP file is truncated or corrupt"),
    Case("ZIP with no member", (Fault(zip_members=[]),), "fails", "the ZIP holds 0 files"),
    Case(
        "ZIP with two members",
        (Fault(zip_members=[("a_flat.csv", b"x"), ("b_flat.csv", b"y")]),),
        "fails",
        "the ZIP holds 2 files",
    ),
    Case("missing column", (Fault(csv_transform=drop_column("value_unit")),), "fails", "column(s) value_unit missing"),
    Case("extra column", (Fault(csv_transform=extra_column),), "handled"),
    Case(
        "renamed measure code", (Fault(csv_transform=set_first("value_variable_code", "WERTX")),), "fails", "validation failure"
    ),
    Case("non-numeric value", (Fault(csv_transform=set_first("value", "12a")),), "fails", "neither a number"),
    Case("negative value", (Fault(csv_transform=set_first("value", "-5")),), "fails", "greater_than_or_equal_to(0)"),
    Case("more than 3 decimals", (Fault(csv_transform=set_first("value", "1,2345")),), "fails", "at most 3 decimals"),
    Case("duplicate keys", (Fault(csv_transform=duplicate_first_row),), "fails", "duplicate"),
    Case("a year not asked for", (Fault(csv_transform=set_first("time", "2001")),), "fails", "outside the years asked for"),
    Case("unknown symbol", (Fault(csv_transform=set_first("value", "?")),), "fails", "neither a number"),
    Case("month 13", (Fault(csv_transform=set_first("3_variable_attribute_code", "MONAT13")),), "fails", "month_code"),
    Case("Latin-1 instead of UTF-8", (Fault(encoding="latin-1"),), "fails", "not valid UTF-8"),
    Case("header only", (Fault(csv_transform=header_only),), "fails", "header but no rows"),
    Case(
        "old wide format",
        (Fault(csv_transform=lambda t: "Statistik_Code;Statistik_Label\n51000;x\n"),),
        "fails",
        "old GENESIS format",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case, settings, genesis):
    settings.genesis.timeout_seconds = 1.0  # the stall cases stall for 1.5 s
    token_client = build_client(settings, Credentials(TOKEN, ""))
    run_update(settings, token_client)  # a first good load to protect
    genesis.state.updated[TABLE] = datetime(2099, 1, 1)  # new data is published, so the next run fetches
    if case.name == "status 98 (too big)":
        genesis.state.value_limit = 100
    for fault in case.faults:
        genesis.state.add_fault(fault)
    before = snapshot(settings.warehouse.path)
    archived_before = set(settings.warehouse.archive_dir.rglob("*.*"))
    genesis.state.received.clear()

    if case.outcome in ("retried", "handled"):
        report = run_update(settings, token_client)
        assert report.status in ("loaded", "unchanged")
        assert query(settings.warehouse.path, "SELECT status FROM update_runs ORDER BY started_at DESC LIMIT 1") == [
            (report.status,)
        ]
        if case.outcome == "retried":
            assert len(genesis.state.requests_to("data/tablefile")) == 2, "one failed attempt, one retry"
        return

    with pytest.raises(ExportwatchError) as raised:
        run_update(settings, token_client)
    message = str(raised.value)
    assert case.message in message
    assert message.startswith(f"{TABLE}: ") and "[request: data/tablefile name=51000-0004" in message
    assert snapshot(settings.warehouse.path) == before, "the data tables are exactly as they were"
    assert query(settings.warehouse.path, "SELECT status, error FROM update_runs ORDER BY started_at DESC LIMIT 1") == [
        ("failed", message)
    ]
    new_archive = set(settings.warehouse.archive_dir.rglob("*.*")) - archived_before
    assert new_archive, "the raw body is kept for inspection"
    if raised.value.archived:
        assert Path(raised.value.archived).exists() and f"Raw response kept at {raised.value.archived}" in message


def documented_fault_rows() -> dict[str, str]:
    text = FAULT_MATRIX_DOC.read_text(encoding="utf-8")
    section = text.split("## When GENESIS misbehaves", 1)[1].split("\n## ", 1)[0]
    return {m.group(1).strip(): m.group(0) for m in re.finditer(r"^\| ([^|]+) \|.*$", section, re.M)}


def test_the_fault_matrix_doc_has_a_row_for_every_case_with_its_message():
    table = documented_fault_rows()
    for case in CASES:
        assert case.name in table, f"the fault table lacks a row for {case.name!r}"
        assert case.message in table[case.name], f"the fault table row for {case.name!r} should quote {case.message!r}"
