"""Staging in one read: the layout is taken from the first rows and checked on every row in the same
read; the flat file contract runs there as SQL built from the pandera model. And a run's responses:
small ones staged two at a time, each as soon as it arrives, every failure raised before the load."""

import os
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

import flows.pipeline.flat_file as flatfile
from flows.errors import FlatFileError
from flows.genesis.archive import ArchivedResponse
from flows.genesis.client import TableOutcome
from flows.genesis.request import TableRequest
from flows.pipeline import fetch, plan
from flows.pipeline import stage as stage_step
from flows.pipeline.run import run_update
from tests.fake_genesis import Fault
from tests.support import RU, TABLE, make_observations, query
from tests.test_flat_file import generated, set_field, stage, write_csv


@pytest.mark.parametrize("group", ["1", "3"])  # DINSG (optional), MONAT (required)
def test_a_variable_missing_from_the_first_rows_is_found_in_the_whole_file(tmp_path, monkeypatch, group):
    _, reference = stage(tmp_path, write_csv(tmp_path, generated(), name="ref.csv"), "de", "ref")
    no_code_first = set_field(generated(), f"{group}_variable_code", "")  # the variable is named from row 2 on
    monkeypatch.setattr(flatfile, "LAYOUT_SAMPLE_ROWS", 1)
    count, rows = stage(tmp_path, write_csv(tmp_path, no_code_first, name="late.csv"), "de", "late")
    assert rows == reference and count == len(reference)


def test_a_column_that_mixes_variables_after_the_first_rows_is_named(tmp_path, monkeypatch):
    mixed = set_field(generated(), "1_variable_code", "WAM4", row=5)
    monkeypatch.setattr(flatfile, "LAYOUT_SAMPLE_ROWS", 1)
    with pytest.raises(FlatFileError, match=r"column 1_variable_code mixes variables \['DINSG', 'WAM4'\]"):
        stage(tmp_path, write_csv(tmp_path, mixed))
    assert not list(tmp_path.glob("*.parquet"))


# -- staging the responses of a run ------------------------------------------------------------------


def fetched_responses(sizes: list[int]) -> list[fetch.FetchedRequest]:
    fetched = []
    for year, size in enumerate(sizes, start=2008):
        request = TableRequest(TABLE, (RU,), ("WERTA",), year, year)
        response = ArchivedResponse(
            "data/tablefile",
            request.form(),
            200,
            "application/zip",
            "zip",
            f"{year:064d}",
            size,
            Path(f"/nowhere/{year}.zip"),
            f"{year}.zip",
            datetime(2026, 1, 1),
        )
        fetched.append(fetch.FetchedRequest(plan.PlannedRequest(request, None), TableOutcome([response])))
    return fetched


def recording_stage_response(
    monkeypatch,
    *,
    fail: str | None = None,
    meet: threading.Barrier | None = None,
    hold: dict[str, float] | None = None,
) -> list[tuple]:
    """Replaces stage_response; records (event, response, memory limit, threads), can fail one
    response and hold others for some seconds each."""
    events: list[tuple] = []
    lock = threading.Lock()

    def stage_response(
        response,
        table,
        language,
        request_key,
        describe,
        staging_dir,
        memory_limit,
        limits,
        *,
        goods_variable="",
        years=None,
        threads=None,
    ):
        with lock:
            events.append(("start", response.relative_path, memory_limit, threads))
        if meet:
            meet.wait()  # returns only when both stagings are under way
        time.sleep((hold or {}).get(response.relative_path, 0))
        with lock:
            events.append(("end", response.relative_path, memory_limit, threads))
        if response.relative_path == fail:
            raise FlatFileError(f"{fail} is broken")
        return response.relative_path

    monkeypatch.setattr(stage_step, "stage_response", stage_response)
    return events


def test_small_responses_are_staged_two_at_a_time_with_half_the_memory_each(tmp_path, monkeypatch):
    events = recording_stage_response(monkeypatch, meet=threading.Barrier(2, timeout=30))
    batches, records = stage_step.stage_responses(fetched_responses([200_000, 300_000]), tmp_path, "700MB")
    assert batches == ["2008.zip", "2009.zip"] and len(records) == 2  # in request order
    assert [e[0] for e in events[:2]] == ["start", "start"]  # the second began before the first ended
    assert {e[2] for e in events} == {"350MB"}
    assert {e[3] for e in events} == {max(1, os.cpu_count() // 2)}  # and half the cores


def test_big_responses_are_staged_one_by_one_with_the_whole_memory_limit(tmp_path, monkeypatch):
    events = recording_stage_response(monkeypatch)
    stage_step.stage_responses(fetched_responses([200_000, stage_step.SMALL_RESPONSE_BYTES + 1]), tmp_path, "700MB")
    assert [e[:2] for e in events] == [("start", "2008.zip"), ("end", "2008.zip"), ("start", "2009.zip"), ("end", "2009.zip")]
    assert {e[2] for e in events} == {"700MB"}
    assert {e[3] for e in events} == {None}  # and all the cores


def test_a_failing_response_raises_before_anything_is_returned_for_loading(tmp_path, monkeypatch):
    recording_stage_response(monkeypatch, fail="2008.zip")
    with pytest.raises(FlatFileError, match="2008.zip is broken"):
        stage_step.stage_responses(fetched_responses([1_000, 1_000, 1_000]), tmp_path, "1GB")


def test_a_failure_while_responses_wait_in_the_queue_ends_the_staging(tmp_path, monkeypatch):
    """Big responses stage one by one: when the first fails, the third still waits in the queue
    (the second holds the one staging thread for a second), and leaving cancels it. CI once hung
    here: a cancelled job that no thread takes from the queue never counts as done for wait()."""
    recording_stage_response(monkeypatch, fail="2008.zip", hold={"2009.zip": 1.0})
    big = stage_step.SMALL_RESPONSE_BYTES + 1
    raised: list[BaseException] = []

    def stage_three() -> None:
        try:
            stage_step.stage_responses(fetched_responses([big, big, big]), tmp_path, "1GB")
        except BaseException as error:  # kept for the assertion below
            raised.append(error)

    staging = threading.Thread(target=stage_three, daemon=True)
    staging.start()
    staging.join(timeout=30)
    assert not staging.is_alive(), "staging did not end within 30 s of the failure"
    assert [str(error) for error in raised] == ["2008.zip is broken"]


def test_each_response_is_staged_while_the_later_requests_are_still_in_flight(settings, genesis, token_client, monkeypatch):
    """A run stages a response as soon as it arrives: here the second request is held by the server
    until the first response's staging has begun (a minute at most), one request at a time."""
    settings.genesis.dialog_value_limit = 48  # one year of 2 countries x 2 measures per request
    settings.genesis.max_in_flight = 1
    first_staging = threading.Event()
    genesis.state.add_fault(Fault())  # the first request: answered as usual
    genesis.state.add_fault(Fault(stall_seconds=60, stall_until=first_staging))
    real_stage_response = stage_step.stage_response
    requests_seen_by_first_staging = []

    def stage_response(*args, **kwargs):
        if not first_staging.is_set():
            requests_seen_by_first_staging.append(len(genesis.state.requests_to("data/tablefile")))
            first_staging.set()
        return real_stage_response(*args, **kwargs)

    monkeypatch.setattr(stage_step, "stage_response", stage_response)

    report = run_update(settings, token_client)

    assert requests_seen_by_first_staging in ([1], [2])  # at most the second was sent (and held), not the rest
    requests = genesis.state.requests_to("data/tablefile")
    assert len(requests) == datetime.now().year - settings.watchlist.since + 1 > 2  # none timed out and was sent again
    assert report.rows_inserted == len(make_observations())
    assert query(settings.warehouse.path, "SELECT count(DISTINCT raw_response_id) FROM observations") == [(len(requests),)]


def test_a_failure_while_staging_interrupts_the_staging_in_progress_and_leaves_no_batch(tmp_path):
    """Leaving the run's stager on an error (a failed request, Ctrl-C) stops DuckDB in the staging
    threads instead of waiting for a big file's read to end."""
    from benchmarks import generate

    flat = generate.write(tmp_path / "51000-0012_flat.csv", 300_000)
    response = ArchivedResponse(
        "manual/load", {}, 200, "text/csv", "csv", "a" * 64, flat.stat().st_size, flat, flat.name, datetime(2026, 1, 1)
    )
    request = TableRequest("51000-0012", (RU,), ("WERTA",), 2022, 2024)
    fetched = fetch.FetchedRequest(plan.PlannedRequest(request, None), TableOutcome([response]))
    staging_dir = tmp_path / "staging"

    with pytest.raises(RuntimeError, match="a request failed"):
        with stage_step.ResponseStager(staging_dir) as stager:
            stager.submit(fetched)
            deadline = time.monotonic() + 60
            while not flatfile._scratch_of_thread and time.monotonic() < deadline:  # DuckDB is reading it
                time.sleep(0.01)
            raise RuntimeError("a request failed")

    (job,) = stager.jobs.values()
    assert isinstance(job.exception(), FlatFileError) and "Interrupt" in str(job.exception())
    assert not flatfile._scratch_of_thread
    assert not list(staging_dir.glob("*.parquet")) and not list(staging_dir.glob("*.duckdb"))


def test_a_big_response_waiting_for_all_the_memory_is_not_overtaken_by_small_ones():
    shares = stage_step.MemoryShares(2)
    order: list[str] = []
    release_first = threading.Event()
    errors: list[BaseException] = []

    def hold(name: str, parts: int, until: threading.Event | None = None) -> None:
        try:
            with shares.held(parts):
                order.append(name)
                if until is not None:
                    until.wait(30)
        except BaseException as error:
            errors.append(error)

    def start(name: str, parts: int, queued: int, until: threading.Event | None = None) -> threading.Thread:
        thread = threading.Thread(target=hold, args=(name, parts, until))
        thread.start()
        deadline = time.monotonic() + 30
        while len(shares.queue) < queued and time.monotonic() < deadline:  # it waits in the queue now
            time.sleep(0.01)
        return thread

    first = start("small 1", 1, 0, release_first)
    while not order:
        time.sleep(0.01)
    big = start("big", 2, 1)
    small = start("small 2", 1, 2)
    assert order == ["small 1"]  # one share is free, but the big one asked first
    release_first.set()
    for thread in (first, big, small):
        thread.join(30)
    assert order == ["small 1", "big", "small 2"] and not errors


def test_responses_waiting_for_memory_stop_when_the_stager_stops():
    shares = stage_step.MemoryShares(1)
    errors: list[BaseException] = []

    def wait_for_memory() -> None:
        try:
            with shares.held(1):
                pass
        except BaseException as error:
            errors.append(error)

    with shares.held(1):
        waiting = threading.Thread(target=wait_for_memory)
        waiting.start()
        while not shares.queue:
            time.sleep(0.01)
        shares.stop()
        waiting.join(30)
    assert not waiting.is_alive() and [type(e).__name__ for e in errors] == ["Stopped"]
