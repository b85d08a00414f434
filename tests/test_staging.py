"""Staging in one read: the layout is taken from the first rows and checked on every row in the same
read; the flat file contract runs there as SQL built from the pandera model. And a run's responses:
small ones staged two at a time, every failure raised before the load."""

import threading
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
from tests.support import RU, TABLE
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


def recording_stage_response(monkeypatch, *, fail: str | None = None, meet: threading.Barrier | None = None) -> list[tuple]:
    """Replaces stage_response; records (event, response, memory limit) and can fail one response."""
    events: list[tuple] = []
    lock = threading.Lock()

    def stage_response(response, table, language, request_key, describe, staging_dir, memory_limit, limits, *, goods_variable=""):
        with lock:
            events.append(("start", response.relative_path, memory_limit))
        if meet:
            meet.wait()  # returns only when both stagings are under way
        with lock:
            events.append(("end", response.relative_path, memory_limit))
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


def test_big_responses_are_staged_one_by_one_with_the_whole_memory_limit(tmp_path, monkeypatch):
    events = recording_stage_response(monkeypatch)
    stage_step.stage_responses(fetched_responses([200_000, stage_step.SMALL_RESPONSE_BYTES + 1]), tmp_path, "700MB")
    assert [e[:2] for e in events] == [("start", "2008.zip"), ("end", "2008.zip"), ("start", "2009.zip"), ("end", "2009.zip")]
    assert {e[2] for e in events} == {"700MB"}


def test_a_failing_response_raises_before_anything_is_returned_for_loading(tmp_path, monkeypatch):
    recording_stage_response(monkeypatch, fail="2008.zip")
    with pytest.raises(FlatFileError, match="2008.zip is broken"):
        stage_step.stage_responses(fetched_responses([1_000, 1_000, 1_000]), tmp_path, "1GB")
