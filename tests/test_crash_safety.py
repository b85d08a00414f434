"""Crash safety: the update process is killed with SIGKILL at many points of fetch, staging and
load. After every kill the warehouse file opens, holds either the whole batch or none of it, and
the next run completes and ends with the same contents as an uninterrupted run.

The runs are the real `run_update` in processes forked by tests/crash_runner.py, which reports
when each step starts and ends; the test kills at a marker plus a delay spread over that step's
duration as measured in uninterrupted reference runs. The fake GENESIS server runs here.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from flows.config import Settings
from flows.demo.genesis_server import Observation
from flows.genesis.credentials import Credentials
from flows.pipeline.fetch import build_client
from flows.pipeline.owned_folder import MARKER
from flows.pipeline.run import run_update
from tests.fake_genesis import Fault, ScriptedGenesisServer, ScriptedGenesisState
from tests.support import TABLE, TOKEN, make_observations
from warehouse.countries import countries

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).with_name("crash_runner.py")
TABLES = ("raw_responses", "observations", "fetch_state", "countries", "update_runs")

# A table big enough that fetch, staging and the load each take a measurable time:
# 32 countries x 12 years x 12 months x 2 measures (about 9,000 values), in two requests (a batch
# of two responses), as few as possible because staging a response has a high fixed cost.
COUNTRY_CODES = sorted(countries())[:32]
YEAR = datetime.now(UTC).year  # the pipeline plans up to the current year
SINCE = YEAR - 11
YEARS = range(SINCE, YEAR + 1)
DIALOG_VALUE_LIMIT = len(COUNTRY_CODES) * 2 * 12 * 12  # twelve years per request, cut at multiples of 12


def spread(n: int, low: float = 0.0, high: float = 1.0) -> list[float]:
    return [low + (high - low) * (i + 0.5) / n for i in range(n)]


# Where to kill: after which step marker, and when: fractions of a span (from marker, to marker)
# of the uninterrupted reference runs.
KILL_PLAN = [
    ("start plan_update", ("start plan_update", "end plan_update"), spread(2)),
    ("start fetch_planned", ("start fetch_planned", "end fetch_planned"), spread(5)),
    ("start stage_responses", ("start stage_responses", "end stage_responses"), spread(4)),
    ("start load_batches", ("start load_batches", "start load"), spread(2)),
    ("start load", ("start load", "end load"), spread(7)),  # the transaction, up to its commit
    ("end load", ("end load", "end load_batches"), spread(3, 0.0, 0.8)),  # changes query, close (checkpoint)
    ("end load_batches", ("end load_batches", "done"), [0.0]),  # staging cleanup, exit
]
MIN_KILLED = 20
TOP_UP = ("start stage_responses", ("start stage_responses", "end stage_responses"), [0.5])  # if runs finished first


def phase_of(markers: list[str]) -> str:
    """Where a run was when it died, from the last marker it wrote."""
    last = markers[-1] if markers else "forked"
    return {
        "forked": "plan (before plan_update)",
        "start plan_update": "plan",
        "end plan_update": "fetch",
        "start fetch_planned": "fetch",
        "end fetch_planned": "stage",
        "start stage_responses": "stage",
        "end stage_responses": "load: open + migrate",
        "start load_batches": "load: open + migrate",
        "start load": "load: transaction",
        "end load": "load: after commit (changes, close)",
        "end load_batches": "after load (staging cleanup, exit)",
    }.get(last, last)


# -- the fork server -----------------------------------------------------------------------------


class Runner:
    """tests/crash_runner.py: forks update runs on request and reports their markers."""

    def __init__(self, log_path: Path) -> None:
        self.log = open(log_path, "wb")
        # One BLAS thread: fewer native threads in the process that forks the runs.
        env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT, env=env
        )
        self.events: queue.Queue[tuple[float, list[str]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        _, fields = self.next(90)
        assert fields[1:] == ["ready"], fields

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.events.put((time.monotonic(), line.decode().split()))
        self.events.put((time.monotonic(), ["-", "eof"]))

    def next(self, timeout: float) -> tuple[float, list[str]]:
        try:
            at, fields = self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"crash_runner said nothing for {timeout} s; its stderr: {self.stderr()}") from None
        assert fields[1] != "eof", f"crash_runner ended; its stderr: {self.stderr()}"
        return at, fields

    def send(self, text: str) -> None:
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def stderr(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def run(self, spec: dict, kill_at: tuple[str, float] | None = None) -> "Run":
        """One update run; with kill_at=(marker, delay): SIGKILL it `delay` seconds after the marker."""
        self.send(json.dumps(spec))
        _, fields = self.next(30)
        assert fields[1] == "forked", fields
        pid = int(fields[2])
        run = Run(pid)
        waiting = kill_at is not None
        while waiting:
            at, fields = self.next(60)
            run.add(at, fields)
            if " ".join(fields[1:]) == kill_at[0]:
                time.sleep(max(0.0, at + kill_at[1] - time.monotonic()))
                os.kill(pid, signal.SIGKILL)  # not reaped yet (see crash_runner): the pid is still ours
                waiting = False
            elif fields[1] in ("done", "error"):
                waiting = False  # finished before the marker: nothing to kill
        if kill_at is None:
            while not run.finished:
                run.add(*self.next(120))
        self.send("reap")
        while run.exit is None:
            run.add(*self.next(60))
        return run

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@dataclass
class Run:
    pid: int
    markers: list[str] = field(default_factory=list)
    times: dict[str, float] = field(default_factory=dict)
    result: list[str] | None = None  # done/error fields
    exit: str | None = None

    def add(self, at: float, fields: list[str]) -> None:
        if fields[1] == "exit":
            assert int(fields[2]) == self.pid, fields
            self.exit = " ".join(fields[3:])
            return
        assert int(fields[0]) == self.pid, fields
        text = " ".join(fields[1:])
        if fields[1] in ("done", "error"):
            self.result = fields[1:]
            self.times["done"] = at
        else:
            self.markers.append(text)
            self.times[text] = at

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def killed(self) -> bool:
        return self.exit == f"signal {int(signal.SIGKILL)}"


# -- warehouse contents ----------------------------------------------------------------------------


class Contents(dict):
    """Table name -> its rows (tuples, sorted), with the column names in `columns`."""

    columns: dict[str, tuple[str, ...]]

    def col(self, table: str, row: tuple, name: str):
        return row[self.columns[table].index(name)]


def read_tables(path: Path, *, read_only: bool = False) -> Contents:
    """Every row of the tables. Read-write, as the next run opens it, replays and checkpoints a
    WAL left behind; read-only, as a reader opens it, replays it in memory."""
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        contents = Contents()
        contents.columns = {}
        for table in TABLES:
            # A run that changed nothing still writes its row to the run log ("did today's job
            # run?"); the contents converge on what the runs loaded, so those rows are left out.
            where = " WHERE status <> 'unchanged'" if table == "update_runs" else ""
            cursor = con.execute(f"SELECT * FROM {table}{where}")
            contents.columns[table] = tuple(d[0] for d in cursor.description)
            contents[table] = sorted(cursor.fetchall(), key=repr)
        return contents
    finally:
        con.close()


class Normaliser:
    """Contents with the instants, hashes and ids written by the run under test replaced by
    "<run>", so that runs at different times compare equal. What the first load wrote stays."""

    RUN = "<run>"
    # per table: the column that tells a row of the first load from a new one, and the columns
    # that differ from run to run
    VOLATILE = {
        "raw_responses": ("sha256", ("fetched_at", "sha256", "size_bytes", "archive_path", "loaded_at")),
        "observations": (None, ("valid_from", "valid_to")),
        "fetch_state": (None, ("last_success_at", "last_sha256")),
        "update_runs": ("run_id", ("run_id", "started_at", "finished_at")),
    }

    def __init__(self, base: Contents) -> None:
        self.known = {v for rows in base.values() for row in rows for v in row}

    def is_new(self, value) -> bool:
        return isinstance(value, (datetime, str)) and value not in self.known

    def __call__(self, tables: Contents) -> dict[str, list[tuple]]:
        out = {}
        for name, rows in tables.items():
            identity, volatile = self.VOLATILE.get(name, (None, ()))
            columns = tables.columns[name]
            at = {columns.index(c) for c in volatile}
            normalised = []
            for row in rows:
                new_row = identity is not None and self.is_new(tables.col(name, row, identity))
                normalised.append(tuple(self.RUN if i in at and (new_row or self.is_new(v)) else v for i, v in enumerate(row)))
            out[name] = sorted(normalised, key=repr)
        return out

    def load_instants(self, tables: Contents) -> set:
        """The instants a load stamped on what it wrote: one load, one instant."""
        col = tables.col
        stamps = {
            col("raw_responses", r, "loaded_at")
            for r in tables["raw_responses"]
            if self.is_new(col("raw_responses", r, "sha256"))
        }
        stamps |= {
            v
            for r in tables["observations"]
            for v in (col("observations", r, "valid_from"), col("observations", r, "valid_to"))
            if v is not None and self.is_new(v)
        }
        stamps |= {
            col("update_runs", r, "finished_at") for r in tables["update_runs"] if self.is_new(col("update_runs", r, "run_id"))
        }
        return stamps


def differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> str:
    lines = []
    for name in TABLES:
        extra = sorted(set(got.get(name, [])) - set(want.get(name, [])), key=repr)
        missing = sorted(set(want.get(name, [])) - set(got.get(name, [])), key=repr)
        if extra or missing:
            lines.append(
                f"{name}: {len(got.get(name, []))} rows, want {len(want.get(name, []))}; "
                f"unexpected {extra[:3]}{'...' if len(extra) > 3 else ''}; missing {missing[:3]}{'...' if len(missing) > 3 else ''}"
            )
    return "\n".join(lines) or "no differences"


# -- the scenario ----------------------------------------------------------------------------------


def table_with_an_open_first_year() -> list[Observation]:
    rows = make_observations(countries=COUNTRY_CODES, years=YEARS, last_month=(YEAR, 9))
    # A provisional value in the first year keeps the revision window open back to it, so the
    # update re-requests the whole table (every request, a bigger batch).
    rows[0].quality = "p"
    return rows


def publish_revision_batch(state: ScriptedGenesisState, at: datetime) -> tuple[int, int]:
    """Many changes, as GENESIS publishes them: a whole year revised, single revised values, a
    symbol, a quality change, a new month. Returns (rows the load inserts, rows it closes)."""
    with state.lock:
        revised_year = [obs for obs in state.tables[TABLE] if obs.year == YEAR - 1]
        for obs in revised_year:
            obs.value += Decimal("0.5")
    first = state.tables[TABLE][0]
    changes = [
        (COUNTRY_CODES[0], YEAR - 2, 3, "WERTA", Decimal("123456.5"), ""),
        (COUNTRY_CODES[5], YEAR - 7, 11, "WERTE", Decimal("42.125"), ""),
        (COUNTRY_CODES[17], YEAR, 9, "WERTA", Decimal("99999.875"), "p"),
        (COUNTRY_CODES[-1], YEAR - 4, 1, "WERTE", ".", ""),
        (first.country_code, first.year, first.month, first.measure, first.value, ""),  # p -> final
    ]
    for country, year, month, measure, value, quality in changes:
        state.revise(TABLE, country, year, month, measure, value, quality, updated_at=at)
    new_month = [(COUNTRY_CODES[i], YEAR, 10, m) for i in (1, 2, 3) for m in ("WERTA", "WERTE")]
    for country, year, month, measure in new_month:
        state.revise(TABLE, country, year, month, measure, Decimal("777.25"), "p", updated_at=at)
    closes = len(revised_year) + len(changes)
    return closes + len(new_month), closes


class QuietGenesisServer(ScriptedGenesisServer):
    """The fake server, without a traceback each time a killed run leaves an answer unread."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def stalls() -> list[Fault]:
    """Slow answers, so that kills land inside the fetch too (mid-body: a half-written archive file)."""
    return [Fault(stall_seconds=0.3), Fault(stall_mid_body_seconds=0.5)]


@dataclass
class Site:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "data" / "exportwatch.duckdb"

    @property
    def archive(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def staging(self) -> Path:
        return self.root / "data" / "exportwatch.duckdb.staging"

    def spec(self, server: ScriptedGenesisServer) -> dict:
        return {
            "api_url": server.base_url,
            "token": TOKEN,
            "db": str(self.db),
            "archive": str(self.archive),
            "countries": COUNTRY_CODES,
            "since": SINCE,
            "dialog_value_limit": DIALOG_VALUE_LIMIT,
        }

    def settings(self, server: ScriptedGenesisServer) -> Settings:
        spec = self.spec(server)
        s = Settings()
        s.genesis.api_url = spec["api_url"]
        s.genesis.retry_backoff_seconds = 0.01
        s.genesis.timeout_seconds = 10
        s.genesis.dialog_value_limit = DIALOG_VALUE_LIMIT
        s.watchlist.countries = COUNTRY_CODES
        s.watchlist.since = SINCE
        s.warehouse.path = self.db
        s.warehouse.archive_dir = self.archive
        s.warehouse.lock_timeout_seconds = 5
        return s

    def copy_of(self, template: "Site") -> "Site":
        shutil.copytree(template.root / "data", self.root / "data")
        return self


def update_in_process(site: Site, server: ScriptedGenesisServer):
    client = build_client(site.settings(server), Credentials(TOKEN, ""))
    try:
        return run_update(site.settings(server), client)
    finally:
        client.close()


def missing_archive_files(site: Site, tables: Contents) -> list[str]:
    paths = [tables.col("raw_responses", r, "archive_path") for r in tables["raw_responses"]]
    return [p for p in paths if not (site.archive / p).is_file()]


def leftovers(site: Site) -> tuple[int, int]:
    """Files a killed run left behind: in the staging folder, and half-written in the archive."""
    staged = [p for p in site.staging.rglob("*") if p.is_file() and p.name != MARKER] if site.staging.exists() else []
    return len(staged), len(list((site.archive / "incoming").glob("*.part")))


@dataclass
class Outcome:
    phase: str
    contents: str  # old | new
    wal: bool  # the kill left a write-ahead log next to the file
    staged: int  # files left in data/staging
    partial: int  # half-written files left in the archive
    recovery: str


def test_sigkill_during_fetch_and_load_leaves_all_or_nothing_and_the_next_run_converges(tmp_path):
    started = time.monotonic()
    now = datetime.now(UTC).replace(tzinfo=None)
    state = ScriptedGenesisState(tokens={TOKEN}, users={})
    state.set_table(TABLE, table_with_an_open_first_year(), updated_at=now - timedelta(hours=3))
    runner = None
    with QuietGenesisServer(state) as server:
        try:
            # The first load: the trials start from a copy of it, so "none of the batch" is a full file.
            template = Site(tmp_path / "template")
            first = update_in_process(template, server)
            assert first.status == "loaded" and first.rows_inserted == len(state.tables[TABLE])
            # It happened an hour ago: the revision below (30 minutes ago) is newer than the `stand`
            # the next run sends, and older than the `stand` of any run after it (minute precision).
            with duckdb.connect(str(template.db)) as con:
                con.execute("UPDATE fetch_state SET last_success_at = last_success_at - INTERVAL 1 HOUR")
            inserts, closes = publish_revision_batch(state, now - timedelta(minutes=30))
            base = read_tables(template.db)
            normalise = Normaliser(base)

            runner = Runner(tmp_path / "crash_runner.stderr")

            # Two uninterrupted runs: the contents every trial must end with, and how long each step takes.
            # `after_one` is the warehouse after the update, `after_two` after the update and the
            # next run (which re-asks for what the revision window covers now), after which further
            # runs change nothing.
            references = []
            for i in range(2):
                site = Site(tmp_path / f"reference-{i}").copy_of(template)
                state.faults[:] = stalls()
                run = runner.run(site.spec(server))
                assert run.result == ["done", "loaded", str(inserts), str(closes)], (run, runner.stderr())
                after_one = read_tables(site.db)
                assert len(normalise.load_instants(after_one)) == 1
                state.faults.clear()
                assert update_in_process(site, server).status == "unchanged"  # no new values
                after_two = read_tables(site.db)
                assert update_in_process(site, server).status == "unchanged"
                assert read_tables(site.db) == after_two, "the reference does not converge after two runs"
                references.append((run, normalise(after_one), normalise(after_two)))
            _, after_one, after_two = references[0]
            for _, one, two in references[1:]:
                assert one == after_one, differences(one, after_one)
                assert two == after_two, differences(two, after_two)
            assert after_one != normalise(base)

            # How long each span took: in the reference runs, then also in every trial that got
            # past it. The shortest is used, so that a slow run (a busy machine) does not push the
            # kills of a short step such as the load transaction past its end.
            durations: dict[tuple[str, str], list[float]] = defaultdict(list)

            def observe(run: Run, stalled: bool = True) -> None:
                for _, (start, end), _ in KILL_PLAN:
                    if start == "start fetch_planned" and not stalled:
                        continue  # a fetch without slow answers says nothing about one with them
                    if start in run.times and end in run.times:
                        durations[start, end].append(run.times[end] - run.times[start])

            def span(start: str, end: str) -> float:
                return min(durations[start, end])

            for run, _, _ in references:
                observe(run)

            outcomes: list[Outcome] = []

            def trial(marker: str, delay: float) -> None:
                site = Site(tmp_path / f"trial-{len(outcomes):02d}").copy_of(template)
                # slow answers only where the kill is meant to land in the fetch: saves time
                stalled = marker == "start fetch_planned"
                state.faults[:] = stalls() if stalled else []
                run = runner.run(site.spec(server), kill_at=(marker, delay))
                observe(run, stalled)
                context = f"trial {len(outcomes)} (kill {delay:.3f} s after '{marker}', markers {run.markers}, result {run.result}, exit {run.exit})"
                assert run.result is None or run.result[0] == "done", f"{context}: {runner.stderr()}"

                # The file opens, for a reader and for the next run ...
                wal = site.db.with_name(site.db.name + ".wal").exists()
                try:
                    seen_by_reader = read_tables(site.db, read_only=True)
                    tables = read_tables(site.db)
                except duckdb.Error as error:
                    pytest.fail(f"{context}: the warehouse does not open after the kill (WAL left: {wal}): {error!r}")
                assert seen_by_reader == tables, (
                    f"{context}: a reader saw other contents than the writer:\n{differences(seen_by_reader, tables)}"
                )
                # ... and holds the whole batch or none of it.
                if tables == base:
                    contents = "old"
                else:
                    contents = "new"
                    assert normalise(tables) == after_one, (
                        f"{context}: neither the first load nor the whole batch:\n{differences(normalise(tables), after_one)}"
                    )
                    assert len(normalise.load_instants(tables)) == 1, f"{context}: {normalise.load_instants(tables)}"
                assert not missing_archive_files(site, tables), (
                    f"{context}: raw_responses without archive file {missing_archive_files(site, tables)}"
                )
                staged, partial = leftovers(site)

                # The next run completes, with the killed run's leftovers in data/staging and the
                # archive, and leaves what the uninterrupted run left: after one completed run (if
                # the kill took the batch with it) or after two (then runs change nothing more).
                state.faults.clear()
                report = update_in_process(site, server)
                want_status, want = ("loaded", after_one) if contents == "old" else ("unchanged", after_two)
                assert report.status == want_status, f"{context}: the next run was {report.status}, want {want_status}"
                recovered = read_tables(site.db)
                assert normalise(recovered) == want, (
                    f"{context}: the next run did not converge:\n{differences(normalise(recovered), want)}"
                )
                assert not missing_archive_files(site, recovered)

                phase = phase_of(run.markers) if run.killed else "not killed (finished first)"
                outcomes.append(Outcome(phase, contents, wal, staged, partial, report.status))
                shutil.rmtree(site.root)

            for marker, (span_start, span_end), fractions in KILL_PLAN:
                duration = span(span_start, span_end)
                for fraction in fractions:
                    trial(marker, duration * fraction)
            marker, (span_start, span_end), (fraction,) = TOP_UP
            for _ in range(5):
                if sum(o.phase != "not killed (finished first)" for o in outcomes) >= MIN_KILLED:
                    break
                trial(marker, span(span_start, span_end) * fraction)
        finally:
            if runner is not None:
                runner.close()

    summary = defaultdict(Counter)
    for o in outcomes:
        summary[o.phase][o.contents] += 1
    elapsed = time.monotonic() - started
    report_lines = [
        f"{len(outcomes)} trials in {elapsed:.1f} s; step durations (shortest, median of the runs that got past them):"
    ]
    report_lines += [
        f"  {start} .. {end}: {min(d) * 1000:.0f} ms, {sorted(d)[len(d) // 2] * 1000:.0f} ms"
        for (start, end), d in durations.items()
    ]
    report_lines += [
        f"  {phase}: {sum(c.values())} ({', '.join(f'{n} {k}' for k, n in sorted(c.items()))})" for phase, c in summary.items()
    ]
    report_lines += [
        f"  trial {i:02d}: {o.phase}: {o.contents} contents; left {'a WAL, ' if o.wal else ''}{o.staged} staging file(s), {o.partial} partial archive file(s); next run {o.recovery}"
        for i, o in enumerate(outcomes)
    ]
    text = "\n".join(report_lines)
    print(text)

    killed = [o for o in outcomes if not o.phase.startswith("not killed")]
    assert len(killed) >= MIN_KILLED, text
    by_phase = Counter(o.phase.split(":")[0] for o in killed)
    assert by_phase["fetch"] >= 3 and by_phase["stage"] >= 2 and by_phase["load"] >= 8, text
    assert sum(1 for o in killed if o.phase == "load: transaction") >= 3, text
    # kills before the commit keep the first load; kills after it keep the whole batch
    assert all(
        o.contents == "old" for o in killed if o.phase.split(":")[0] in ("plan (before plan_update)", "plan", "fetch", "stage")
    ), text
    assert all(o.contents == "new" for o in killed if o.phase.startswith(("load: after commit", "after load"))), text
    # the leftovers the next runs had to cope with did occur
    assert any(o.staged for o in killed) and any(o.partial for o in killed), text
