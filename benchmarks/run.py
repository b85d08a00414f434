"""exportwatch benchmarks, one command, results as tables.

    uv run python -m benchmarks.run                       # 1M, 3M, 5M, 20M rows + scenarios
    uv run python -m benchmarks.run --sizes 1M,3M,5M      # choose sizes
    uv run python -m benchmarks.run --quick               # smoke run: tiny sizes, fewer countries

For each size, in the same run and each in a fresh process (peak RSS = that process's ru_maxrss,
read with wait4): `exportwatch load` of a realistic 51000-0012 flat file ZIP into an empty
warehouse (unzip -> parse -> validate -> vintage merge); the fixed cost (the same command on a
1,000-row file); the reference, DuckDB read_csv of the bare CSV straight into a table (all
columns); DuckDB parse only; the common client path, pandas read_csv -> pivot wide -> DuckDB;
re-load of the same ZIP; re-load of the same data with other bytes (the bare CSV, as a re-download
gives); a revision batch changing 1 % of the values. Then the real 33 MB job result of 12531-0043
and the scheduled-run scenarios against the fake GENESIS server (benchmarks.scenarios). Targets
are ratios against baselines measured in the same run, never absolute thresholds.

Generated inputs go to --work (default /tmp/exportwatch-bench) and are reused when present;
inputs whose CSV exceeds 1 GB are deleted after their size unless --keep-inputs. Warehouses are
deleted after each size.
"""

import argparse
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import generate

ROOT = Path(__file__).resolve().parents[1]
REAL_RESULT = ROOT / "tests" / "fixtures" / "genesis-recordings" / "12531-0043" / "409-data-resultfile.zip"
TABLE = "51000-0012"
CSV_BYTES_PER_ROW = 296  # measured on generate.py's output
PANDAS_BYTES_PER_ROW = 850  # first guess of the pandas path's peak, refined by each measured size
REVISION_SHARE = 0.01
SEED = 2022
BIG_INPUT = 1 << 30
PROFILES: dict[str, dict] = {}


# -- running one measured process ------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str
    killed_at_mb: float = 0.0  # the watchdog stopped it above this RSS
    cpu_s: float = 0.0  # user + system CPU time of the process: steadier than wall time on a shared machine

    def json(self) -> dict:
        for line in reversed(self.stdout.strip().splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"no JSON in the output (exit {self.returncode}): {self.stdout[-500:]} {self.stderr[-2000:]}")


RSS_CAP_SHARE = 0.5  # of MemAvailable when a process starts: above it the watchdog stops the process


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Measured:
    """Run cmd in a fresh process; wall time and that process's peak RSS (ru_maxrss via wait4).

    A watchdog stops the process if its RSS passes RSS_CAP_SHARE of the memory available at the
    start, so a benchmark that does not scale cannot take the machine (and others' work) down."""
    cap_mb = RSS_CAP_SHARE * mem_available_mb()
    killed = threading.Event()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.25):
                if rss_mb(process.pid) > cap_mb:
                    killed.set()
                    process.kill()
                    return

        watchdog = threading.Thread(target=watch, daemon=True)
        watchdog.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        watchdog.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            seconds,
            usage.ru_maxrss / 1024,
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            cap_mb if killed.is_set() else 0.0,
            usage.ru_utime + usage.ru_stime,
        )


def python_case(*args: str, cwd: Path) -> Measured:
    return run_measured([sys.executable, "-m", *args], cwd=cwd, env=child_env())


# Settings every measured exportwatch process gets (from --memory-limit); the user's own are not passed on.
CHILD_SETTINGS: dict[str, str] = {}


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXPORTWATCH_", "GENESIS_", "PREFECT_"))}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(CHILD_SETTINGS, **extra)
    return env


def exportwatch_bin() -> str:
    candidate = Path(sys.executable).with_name("exportwatch")
    return str(candidate) if candidate.exists() else (shutil.which("exportwatch") or "exportwatch")


@dataclass
class LoadRun:
    seconds: float
    peak_mb: float
    inserted: int
    closed: int
    error: str = ""
    cpu_s: float = 0.0


def exportwatch_load(path: Path, warehouse: Path, *, table: str | None = TABLE, **settings: str) -> LoadRun:
    """`exportwatch load PATH --table T --db DB --format json`, archive and Prefect home inside `warehouse`;
    `settings` are more EXPORTWATCH_* variables."""
    warehouse.mkdir(parents=True, exist_ok=True)
    cmd = [exportwatch_bin(), "load", str(path), "--db", str(warehouse / "exportwatch.duckdb"), "--format", "json"]
    if table:
        cmd += ["--table", table]
    env = child_env(
        EXPORTWATCH_WAREHOUSE__ARCHIVE_DIR=str(warehouse / "raw"), PREFECT_HOME=str(warehouse / "prefect"), **settings
    )
    m = run_measured(cmd, cwd=warehouse, env=env)
    found = load_summary(m.stdout)
    if m.killed_at_mb:
        return LoadRun(
            m.seconds,
            m.peak_mb,
            0,
            0,
            error=f"stopped by the benchmark: RSS above {m.killed_at_mb / 1024:.1f} GB "
            f"({RSS_CAP_SHARE:.0%} of the memory available) after {m.seconds:.0f} s",
        )
    if m.returncode != 0 or not found:
        error = " ".join((m.stderr or m.stdout).split())
        return LoadRun(m.seconds, m.peak_mb, 0, 0, error=error[:300] or f"exit {m.returncode}", cpu_s=m.cpu_s)
    return LoadRun(m.seconds, m.peak_mb, found["rows_inserted"], found["rows_closed"], cpu_s=m.cpu_s)


def load_summary(stdout: str) -> dict | None:
    """The JSON summary `exportwatch load --format json` prints as its last line."""
    try:
        summary = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None
    return summary if isinstance(summary, dict) and "rows_inserted" in summary else None


# -- inputs ----------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    """An argparse type: "1M,3M" -> [1000000, 3000000], checked when the arguments are read."""
    return [parse_size(part) for part in text.split(",") if part.strip()]


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 300k, 1M, 2.5M, 1000)")
    return int(float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])


def size_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 100_000 == 0:
        return f"{rows / 1_000_000:g}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def ensure(path: Path, make) -> Path:
    """Make path unless a complete copy exists (a marker file says the writer finished)."""
    done = path.with_name(path.name + ".done")
    if path.exists() and done.exists():
        return path
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    tmp.unlink(missing_ok=True)
    make(tmp)
    os.replace(tmp, path)
    done.touch()
    return path


def revised_lines(rows: int, seed: int, share: float, counter: list[int]):
    """generate.lines() with `share` of the lines given another value, everything else identical.
    (generate.write's own revise_share draws the new values from the main random stream, so every
    line after the first revised one differs: about 40 % of a file at 1 %, not a 1 % revision.)"""
    rng = random.Random(seed * 7919 + 1)
    for line in generate.lines(rows, seed):
        if rng.random() < share:
            fields = line.split(";")
            unit = fields[22]
            fields[21] = f"{rng.randint(500001, 900000)}" if unit != "t" else f"{rng.randint(100000, 199999)},{rng.randint(0, 9)}"
            line = ";".join(fields)
            counter[0] += 1
        yield line


def write_revision_zip(path: Path, rows: int, seed: int, share: float) -> int:
    """The same ZIP as generate.write(path, rows, seed) with `share` of the values revised."""
    counter = [0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(f"51000-0012_{rows}_de_flat.csv", "w", force_zip64=True) as member:
            text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="\n")
            text.write(generate.HEADER + "\n")
            for line in revised_lines(rows, seed, share, counter):
                text.write(line + "\n")
            text.flush()
            text.detach()
    return counter[0]


@dataclass
class Inputs:
    rows: int
    csv: Path
    zip: Path
    revision_zip: Path
    revised_values: int

    def remove(self) -> None:
        for path in (self.csv, self.zip, self.revision_zip):
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".done").unlink(missing_ok=True)
        self.revision_zip.with_name(self.revision_zip.name + ".count").unlink(missing_ok=True)


def make_inputs(work: Path, rows: int) -> Inputs:
    label = size_label(rows)
    folder = work / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = ensure(folder / f"51000-0012_{label}_de_flat.csv", lambda p: generate.write(p, rows, SEED))
    zip_path = ensure(folder / f"51000-0012_{label}_de_flat.zip", lambda p: generate.write(p, rows, SEED))
    revision = folder / f"51000-0012_{label}_revised_de_flat.zip"
    count_file = revision.with_name(revision.name + ".count")

    def make_revision(p: Path) -> None:
        count_file.write_text(str(write_revision_zip(p, rows, SEED, REVISION_SHARE)))

    ensure(revision, make_revision)
    return Inputs(rows, csv_path, zip_path, revision, int(count_file.read_text()))


def mem_available_mb() -> float:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


# -- the measurements ------------------------------------------------------------------------------


@dataclass
class SizeResult:
    rows: int
    csv_mb: float
    zip_mb: float
    load: LoadRun
    fixed_s: float
    ref_s: float
    ref_peak_mb: float
    parse_s: float
    pandas_s: float | None
    pandas_peak_mb: float | None
    pandas_note: str
    reload: LoadRun
    redownload: LoadRun
    revision: LoadRun
    revised_values: int
    notes: list[str] = field(default_factory=list)
    ref_runs: list[float] = field(default_factory=list)
    ref_cpu_s: float = 0.0
    fixed_cpu_s: float = 0.0

    @property
    def ratio(self) -> float:
        return (self.load.seconds - self.fixed_s) / self.ref_s

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU time (user + system): what a shared machine distorts least."""
        return (self.load.cpu_s - self.fixed_cpu_s) / self.ref_cpu_s if self.ref_cpu_s else float("nan")


def measure_fixed_cost(work: Path, repeats: int) -> tuple[float, list[float], float]:
    """(median wall time, every wall time, median CPU time) of `exportwatch load` on 1,000 rows."""
    small = ensure(work / "inputs" / "51000-0012_1000_de_flat.zip", lambda p: generate.write(p, 1000, SEED))
    times, cpu = [], []
    for i in range(repeats):
        warehouse = work / f"warehouse-fixed-{i}"
        shutil.rmtree(warehouse, ignore_errors=True)
        run = exportwatch_load(small, warehouse)
        shutil.rmtree(warehouse, ignore_errors=True)
        if run.error:
            raise RuntimeError(f"exportwatch load of the 1,000-row file failed: {run.error}")
        times.append(run.seconds)
        cpu.append(run.cpu_s)
    return statistics.median(times), times, statistics.median(cpu)


def measure_first_load(work: Path, rows: int, log) -> tuple[int, LoadRun]:
    """One `exportwatch load` of a generated ZIP into a fresh warehouse, nothing else (--first-load-sizes)."""
    label = size_label(rows)
    log(f"[{label}] input (ZIP only)")
    zip_path = ensure(work / "inputs" / f"51000-0012_{label}_de_flat.zip", lambda p: generate.write(p, rows, SEED))
    warehouse = work / f"warehouse-{label}-first-load"
    shutil.rmtree(warehouse, ignore_errors=True)
    log(f"[{label}] exportwatch load (first load only)")
    # Beyond about 29M rows the flat file is over [limits] zip_member_bytes (8 GiB), and refused:
    # raised here as a user loading such a file would.
    member_bytes = max(8 << 30, 2 * rows * CSV_BYTES_PER_ROW)
    try:
        return rows, exportwatch_load(zip_path, warehouse, EXPORTWATCH_LIMITS__ZIP_MEMBER_BYTES=str(member_bytes))
    finally:
        shutil.rmtree(warehouse, ignore_errors=True)


def exportwatch_chain(inputs: "Inputs", warehouse: Path, label: str, log) -> tuple[LoadRun, LoadRun, LoadRun, LoadRun]:
    """Load, re-load the same file, re-load the same data as other bytes, load the revision: one warehouse."""
    shutil.rmtree(warehouse, ignore_errors=True)
    try:
        log(f"[{label}] exportwatch load")
        load = exportwatch_load(inputs.zip, warehouse)
        if load.error:
            log(f"[{label}] exportwatch load failed: {load.error}")
            not_run = LoadRun(0.0, 0.0, 0, 0, error="not run: the first load failed")
            return load, not_run, not_run, not_run
        log(f"[{label}] re-load (same file)")
        reload = exportwatch_load(inputs.zip, warehouse)
        log(f"[{label}] re-load (same data, other bytes: the bare CSV)")
        redownload = exportwatch_load(inputs.csv, warehouse)
        log(f"[{label}] revision batch")
        revision = exportwatch_load(inputs.revision_zip, warehouse)
    finally:
        shutil.rmtree(warehouse, ignore_errors=True)
    return load, reload, redownload, revision


def baselines(inputs: "Inputs", scratch: Path, label: str, args, pandas_bytes_per_row: list[float], log) -> dict:
    """DuckDB parse-only and reference, and the pandas path (unless it would not fit in memory)."""
    rows = inputs.rows
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        runs = []
        for i in range(args.ref_repeats):
            log(f"[{label}] DuckDB parse only, then DuckDB reference ({i + 1}/{args.ref_repeats})")
            ref = python_case("benchmarks.cases", "duckdb-ref", str(inputs.csv), str(scratch / "ref.duckdb"), cwd=scratch)
            runs.append((ref.json(), ref))  # the reference must work: without it there is no ratio
        # The fastest run: the baseline the load is held against is DuckDB at its best on this box.
        ref_json, ref = min(runs, key=lambda run: run[0]["seconds"])
        result = {
            "ref_s": ref_json["seconds"],
            "ref_peak_mb": max(run.peak_mb for _, run in runs),
            "parse_s": min(j["parse_seconds"] for j, _ in runs),
            "ref_runs": [j["seconds"] for j, _ in runs],
            "ref_cpu_s": ref_json["cpu_seconds"],
            "pandas_s": None,
            "pandas_peak_mb": None,
            "pandas_note": "",
        }
        estimate_mb = max(pandas_bytes_per_row) * rows / 2**20
        if rows > args.pandas_max_rows:
            result["pandas_note"] = f"skipped: more than --pandas-max-rows {size_label(args.pandas_max_rows)}"
        elif estimate_mb > 0.7 * mem_available_mb():
            result["pandas_note"] = (
                f"skipped: needs about {estimate_mb / 1024:.1f} GB, {mem_available_mb() / 1024:.1f} GB available"
            )
        else:
            log(f"[{label}] pandas path")
            pandas = python_case("benchmarks.cases", "pandas", str(inputs.csv), str(scratch / "pandas.duckdb"), cwd=scratch)
            if pandas.killed_at_mb:
                result["pandas_note"] = f"stopped: RSS above {pandas.killed_at_mb / 1024:.1f} GB"
            else:
                result.update(pandas_s=pandas.json()["seconds"], pandas_peak_mb=pandas.peak_mb)
                pandas_bytes_per_row.append(pandas.peak_mb * 2**20 / rows)
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_size(
    work: Path, rows: int, fixed_s: float, args, pandas_bytes_per_row: list[float], log, *, parallel: bool = False
) -> SizeResult:
    label = size_label(rows)
    log(f"[{label}] inputs")
    inputs = make_inputs(work, rows)
    csv_mb, zip_mb = inputs.csv.stat().st_size / 2**20, inputs.zip.stat().st_size / 2**20
    chain = lambda: exportwatch_chain(inputs, work / f"warehouse-{label}", label, log)  # noqa: E731
    base = lambda: baselines(inputs, work / f"scratch-{label}", label, args, pandas_bytes_per_row, log)  # noqa: E731
    if parallel:  # --quick: side by side, the timings are only a smoke test
        with ThreadPoolExecutor(2) as pool:
            chain_future, base_future = pool.submit(chain), pool.submit(base)
            (load, reload, redownload, revision), b = chain_future.result(), base_future.result()
    else:
        load, reload, redownload, revision = chain()
        b = base()
    notes = []
    if rows in args.profile_rows:  # also when the load was stopped: the finished phases still tell where it went
        log(f"[{label}] profile of the load phases")
        profile_dir = work / f"profile-{label}"
        shutil.rmtree(profile_dir, ignore_errors=True)
        try:
            profile_dir.mkdir(parents=True)
            env = child_env(
                EXPORTWATCH_WAREHOUSE__ARCHIVE_DIR=str(profile_dir / "raw"), PREFECT_HOME=str(profile_dir / "prefect")
            )
            m = run_measured(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.profile_load",
                    str(inputs.zip),
                    "--db",
                    str(profile_dir / "w.duckdb"),
                    "--table",
                    TABLE,
                    "--json",
                ],
                cwd=profile_dir,
                env=env,
            )
            if m.killed_at_mb or m.returncode:
                partial = [json.loads(line)["partial"] for line in m.stdout.splitlines() if line.startswith('{"partial"')]
                # finished phases in the order they started (parents finish after their children)
                why = (
                    f"stopped by the benchmark above {m.killed_at_mb:.0f} MB RSS"
                    if m.killed_at_mb
                    else f"failed: {m.stderr[-300:]}"
                )
                PROFILES[label] = {
                    "error": why + f" after {m.seconds:.0f} s",
                    "phases": sorted(partial, key=lambda p: p["order"]),
                }
            else:
                PROFILES[label] = m.json()
        finally:
            shutil.rmtree(profile_dir, ignore_errors=True)
    if not args.keep_inputs and inputs.csv.stat().st_size > BIG_INPUT:
        inputs.remove()
        notes.append("inputs deleted")
    return SizeResult(
        rows,
        csv_mb,
        zip_mb,
        load,
        fixed_s,
        b["ref_s"],
        b["ref_peak_mb"],
        b["parse_s"],
        b["pandas_s"],
        b["pandas_peak_mb"],
        b["pandas_note"],
        reload,
        redownload,
        revision,
        inputs.revised_values,
        notes,
        b["ref_runs"],
        b["ref_cpu_s"],
    )


def measure_real(work: Path, log) -> dict | None:
    """The real 33 MB job result (12531-0043, not a foreign-trade table): what exportwatch does with
    it, its parse step alone, and the two baselines."""
    if not REAL_RESULT.exists():
        return None
    folder = work / "real"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        with zipfile.ZipFile(REAL_RESULT) as archive:
            member = archive.infolist()[0]
            archive.extract(member, folder)
            csv_path = folder / member.filename
        zip_path = folder / (csv_path.stem + ".zip")  # the table code is in the server's member name
        shutil.copyfile(REAL_RESULT, zip_path)
        log("[real 12531-0043] exportwatch load")
        load = exportwatch_load(zip_path, folder / "warehouse", table=None)
        log("[real 12531-0043] exportwatch parse step, DuckDB reference, pandas path")
        stage = python_case("benchmarks.cases", "ew-stage", str(csv_path), cwd=folder)
        ref = python_case("benchmarks.cases", "duckdb-ref", str(csv_path), str(folder / "ref.duckdb"), cwd=folder)
        pandas = python_case("benchmarks.cases", "pandas", str(csv_path), str(folder / "pandas.duckdb"), cwd=folder)
        stage_json, ref_json, pandas_json = stage.json(), ref.json(), pandas.json()
        return {
            "csv_mb": csv_path.stat().st_size / 2**20,
            "zip_mb": REAL_RESULT.stat().st_size / 2**20,
            "rows": ref_json["rows"],
            "load_s": load.seconds,
            "load_peak_mb": load.peak_mb,
            "load_outcome": ("rejected" if load.error else f"loaded {load.inserted} rows"),
            "load_message": load.error.split(" Raw response kept")[0],
            "stage_s": stage_json["seconds"],
            "stage_peak_mb": stage.peak_mb,
            "ref_s": ref_json["seconds"],
            "ref_peak_mb": ref.peak_mb,
            "parse_s": ref_json["parse_seconds"],
            "pandas_s": pandas_json["seconds"],
            "pandas_peak_mb": pandas.peak_mb,
            "pandas_wide": f"{pandas_json['rows_wide']} x {pandas_json['columns_wide']}",
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- printing --------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]], title: str) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join
    out = [title, line(h.rjust(w) for h, w in zip(headers, widths)), line("-" * w for w in widths)]
    out += [line(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def fmt_int(value: int) -> str:
    return f"{value:,}"


def first_load_table(results: list[SizeResult], first_loads: list[tuple[int, LoadRun]]) -> str:
    """Peak RSS of every first load, the full sizes' and --first-load-sizes', by size."""
    loads = sorted([(r.rows, r.load) for r in results] + first_loads, key=lambda pair: pair[0])
    rows = [
        [
            size_label(n),
            fmt_s(run.seconds),
            fmt_s(run.cpu_s),
            fmt_int(round(n / run.seconds)) if run.seconds and not run.error else "-",
            f"{run.peak_mb:.0f}",
            run.error[:60] or "ok",
        ]
        for n, run in loads
    ]
    headers = ["size", "load s", "CPU s", "rows/s", "peak MB", "outcome"]
    return table(headers, rows, "First loads by size (peak RSS flat?), --first-load-sizes loaded only once each")


def load_table(results: list[SizeResult]) -> str:
    headers = [
        "size",
        "CSV MB",
        "ZIP MB",
        "load s",
        "rows/s",
        "load peak MB",
        "fixed s",
        "DuckDB ref s",
        "ref peak MB",
        "parse s",
        "pandas s",
        "pandas peak MB",
        "(load-fixed)/ref",
    ]
    rows = []
    for r in results:
        failed = bool(r.load.error)
        rows.append(
            [
                size_label(r.rows),
                f"{r.csv_mb:.0f}",
                f"{r.zip_mb:.1f}",
                ("stopped " if failed else "") + fmt_s(r.load.seconds),
                "failed" if failed else f"{r.rows / r.load.seconds:,.0f}",
                (">" if failed else "") + fmt_mb(r.load.peak_mb),
                fmt_s(r.fixed_s),
                fmt_s(r.ref_s),
                fmt_mb(r.ref_peak_mb),
                fmt_s(r.parse_s),
                fmt_s(r.pandas_s) if r.pandas_s is not None else "skipped",
                fmt_mb(r.pandas_peak_mb) if r.pandas_peak_mb else "skipped",
                "n/a" if failed else f"{r.ratio:.2f}",
            ]
        )
    return table(headers, rows, "Load: exportwatch (ZIP, fresh warehouse) vs DuckDB read_csv and the pandas path (bare CSV)")


def written(run: LoadRun) -> str:
    return "failed" if run.error else fmt_int(run.inserted + run.closed)


def reload_table(results: list[SizeResult]) -> str:
    headers = [
        "size",
        "re-load s",
        "rows written",
        "re-load/load",
        "same data new bytes s",
        "rows written",
        "revision s",
        "revised values",
        "rows inserted",
        "rows closed",
        "closed % of rows",
    ]
    rows = []
    for r in results:
        rev = r.revision
        rows.append(
            [
                size_label(r.rows),
                fmt_s(r.reload.seconds),
                written(r.reload),
                "n/a" if r.reload.error else f"{r.reload.seconds / r.load.seconds:.2f}",
                fmt_s(r.redownload.seconds),
                written(r.redownload),
                fmt_s(rev.seconds),
                fmt_int(r.revised_values),
                "failed" if rev.error else fmt_int(rev.inserted),
                "failed" if rev.error else fmt_int(rev.closed),
                "n/a" if rev.error else f"{100 * rev.closed / r.rows:.2f} %",
            ]
        )
    return table(headers, rows, "Re-load and revision (same warehouse, after the load; rows written = inserted + closed)")


def real_table(real: dict) -> str:
    headers = [
        "file",
        "CSV MB",
        "rows",
        "exportwatch load s",
        "peak MB",
        "outcome",
        "ew parse+layout s",
        "peak MB",
        "DuckDB ref s",
        "peak MB",
        "parse s",
        "pandas s",
        "peak MB",
        "pandas wide",
    ]
    row = [
        "12531-0043 job result",
        f"{real['csv_mb']:.1f}",
        fmt_int(real["rows"]),
        fmt_s(real["load_s"]),
        fmt_mb(real["load_peak_mb"]),
        real["load_outcome"],
        fmt_s(real["stage_s"]),
        fmt_mb(real["stage_peak_mb"]),
        fmt_s(real["ref_s"]),
        fmt_mb(real["ref_peak_mb"]),
        fmt_s(real["parse_s"]),
        fmt_s(real["pandas_s"]),
        fmt_mb(real["pandas_peak_mb"]),
        real["pandas_wide"],
    ]
    return table(headers, [row], "Real data: tests/fixtures/genesis-recordings/12531-0043/409-data-resultfile.zip")


def scenario_table(s: dict) -> str:
    headers = ["scenario", "requests", "bytes", "rows written", "wall s", "CPU s", "fetch s", "stage s after", "load s"]
    names = [
        ("backfill", f"backfill since {s['since']}"),
        ("scheduled_after_backfill", "1st scheduled run after it"),
        ("noop", "no-op scheduled run"),
        ("revision", "scheduled, 1 value revised"),
        ("full_refresh", "full refresh (all years again)"),
    ]
    rows = []
    for key, name in names:
        r = s[key]
        rows.append(
            [
                name,
                str(r["requests"]),
                fmt_int(r["bytes"]),
                fmt_int(r["rows_inserted"] + r["rows_closed"]),
                fmt_s(r["seconds"]),
                fmt_s(r["cpu_s"]),
                fmt_s(r["fetch_s"]),
                fmt_s(r["stage_s"]),
                fmt_s(r["load_s"]),
            ]
        )
    b = s["backfill"]
    title = (
        f"Scenarios: {s['table']}, {s['countries']} countries, {s['since']}-{s['until']}, WERTA+WERTE ({fmt_int(s['observations'])} values), "
        f"fake GENESIS with {s['latency_s'] * 1000:.0f} ms per data answer, token, max 3 in flight"
    )
    extra = (
        f"backfill: {b['requests']} requests, {fmt_s(b['seconds'])} s; ideal (its waves of at most 3 requests x latency) "
        f"{b['ideal_s']:.2f} s -> {b['seconds'] / b['ideal_s']:.1f} x ideal; fetch phase alone {fmt_s(b['fetch_s'])} s -> "
        f"{b['fetch_s'] / b['ideal_s']:.1f} x ideal (the fake server built its answers in a warm-up run: "
        f"{s.get('answers_built_s', 0.0):.2f} s, not counted; its work during the backfill: {b['server_work_s']:.2f} s); "
        "responses are staged while the fetch goes on: 'stage s after' is the staging left once the last one arrived; "
        f"'CPU s' is this process's (all threads, the fake server's too): with {os.cpu_count()} CPUs the backfill's "
        f"{b['cpu_s']:.2f} s of CPU take at least {b['cpu_s'] / (os.cpu_count() or 1):.2f} s"
    )
    return table(headers, rows, title) + "\n" + extra


def short(run: LoadRun) -> str:
    if run.error.startswith("stopped by the benchmark"):
        return f"stopped at {run.peak_mb / 1024:.1f} GB RSS after {run.seconds:.0f} s"
    return run.error[:60]


def verdict(value: float, limit: float, *, at_most: bool = True, unit: str = "") -> str:
    ok = value <= limit if at_most else value >= limit
    if ok:
        return "met"
    if at_most:
        return f"MISSED by {value / limit:.2f}x ({value - limit:+.{0 if unit else 2}f}{unit})"
    return f"MISSED: {value / limit:.2f}x of the target ({limit / value:.1f}x short)"


# Issue 16's targets: ratios to baselines measured in the same run.
LOAD_RATIO = 1.2  # (load - fixed) / DuckDB read_csv of the bare CSV
FIXED_COST_S = 1.0  # `exportwatch load` of a 1,000-row file
RELOAD_SHARE = 0.3  # re-load of unchanged data / first load
BACKFILL_RATIO = 2.0  # backfill / ideal of its request waves


def targets_table(
    results: list[SizeResult],
    scenarios: dict | None,
    quick: bool,
    fixed_s: float = 0.0,
    fixed_cpu_s: float = 0.0,
    first_loads: list[tuple[int, "LoadRun"]] = (),
) -> str:
    rows = []
    by_rows = {r.rows: r for r in results}
    ok = [r for r in results if not r.load.error]
    for r in [r for r in results if r.rows >= 3_000_000] or (results if quick else []):
        label = f"(load - fixed) / DuckDB ref at {size_label(r.rows)}"
        if r.load.error:
            rows.append([label, f"<= {LOAD_RATIO}", "load failed", "MISSED: " + short(r.load)])
        else:
            rows.append([label, f"<= {LOAD_RATIO}", f"{r.ratio:.2f}", verdict(r.ratio, LOAD_RATIO)])
            rows.append(
                [
                    "  the same in CPU time (user + system)",
                    f"<= {LOAD_RATIO}",
                    f"{r.cpu_ratio:.2f}",
                    verdict(r.cpu_ratio, LOAD_RATIO),
                ]
            )
    rows.append(
        [
            "fixed cost: exportwatch load of 1,000 rows",
            f"<= {FIXED_COST_S:.1f} s",
            f"{fixed_s:.2f} s (CPU {fixed_cpu_s:.2f} s)",
            verdict(fixed_s, FIXED_COST_S, unit=" s"),
        ]
    )
    loads = sorted([(r.rows, r.load) for r in results] + list(first_loads), key=lambda pair: pair[0])
    if loads:
        (largest_rows, largest), (smallest_rows, smallest) = loads[-1], loads[0]
        note = "" if largest_rows >= 20_000_000 else " (20M not run)"
        stopped = largest.error.startswith("stopped by the benchmark")  # over the watchdog's RSS cap
        if largest.error:
            rows.append(
                [
                    f"peak RSS at {size_label(largest_rows)} (largest size run)",
                    "<= 1024 MB",
                    f"> {largest.peak_mb:.0f} MB" if stopped else "load failed",
                    (f"MISSED by > {largest.peak_mb / 1024:.1f}x: " if stopped else "not measured: ") + short(largest),
                ]
            )
        else:
            rows.append(
                [
                    f"peak RSS at {size_label(largest_rows)} (largest size run)",
                    "<= 1024 MB",
                    f"{largest.peak_mb:.0f} MB",
                    verdict(largest.peak_mb, 1024, unit=" MB") + note,
                ]
            )
        if largest_rows != smallest_rows and (stopped or not largest.error):
            growth = largest.peak_mb / smallest.peak_mb
            rows.append(
                [
                    f"peak RSS flat: {size_label(largest_rows)} / {size_label(smallest_rows)}",
                    "<= 1.25",
                    f"{'>' if stopped else ''}{growth:.2f} ({smallest.peak_mb:.0f} -> {largest.peak_mb:.0f} MB)",
                    verdict(growth, 1.25),
                ]
            )
        if len(loads) > 2 and not largest.error and not loads[-2][1].error:
            # Once DuckDB's memory limit binds, the peak should stop growing: the two largest sizes.
            (next_rows, next_largest) = loads[-2]
            bound = largest.peak_mb / next_largest.peak_mb
            rows.append(
                [
                    f"  (bounded: {size_label(largest_rows)} / {size_label(next_rows)}, for reference)",
                    "<= 1.25",
                    f"{bound:.2f} ({next_largest.peak_mb:.0f} -> {largest.peak_mb:.0f} MB)",
                    verdict(bound, 1.25),
                ]
            )
    if results:
        five = by_rows.get(5_000_000) or (
            max((r for r in results if r.pandas_peak_mb), key=lambda r: r.rows, default=None) if quick else None
        )
        if five and five.pandas_peak_mb:
            factor = five.pandas_peak_mb / five.load.peak_mb
            rows.append(
                [
                    f"pandas peak / exportwatch peak at {size_label(five.rows)}",
                    ">= 4",
                    f"{factor:.2f} ({five.pandas_peak_mb:.0f} / {five.load.peak_mb:.0f} MB)",
                    verdict(factor, 4, at_most=False),
                ]
            )
        elif 5_000_000 in by_rows:
            rows.append(["pandas peak / exportwatch peak at 5M", ">= 4", "pandas skipped", "not measured"])
    for r in ok:
        for what, run in (("re-load", r.reload), ("same data, other bytes", r.redownload)):
            share = run.seconds / r.load.seconds
            count = run.inserted + run.closed
            rows.append(
                [
                    f"{what} at {size_label(r.rows)}: rows written, time / first load",
                    f"0, <= {RELOAD_SHARE}",
                    f"{written(run)}, {share:.2f} (CPU {run.cpu_s / r.load.cpu_s:.2f})",
                    "MISSED: " + run.error[:60]
                    if run.error
                    else "MISSED: rows written"
                    if count
                    else verdict(share, RELOAD_SHARE),
                ]
            )
        rev = r.revision
        good = not rev.error and rev.closed == rev.inserted and abs(rev.closed - r.revised_values) <= 0.05 * r.revised_values + 1
        rows.append(
            [
                f"revision at {size_label(r.rows)}: rows closed = inserted = values revised",
                f"{fmt_int(r.revised_values)} (1 %)",
                "failed"
                if rev.error
                else f"{fmt_int(rev.closed)} closed, {fmt_int(rev.inserted)} inserted ({100 * rev.closed / r.rows:.2f} %)",
                "met" if good else "MISSED",
            ]
        )
    if scenarios:
        n = scenarios["noop"]
        rows.append(
            [
                "no-op scheduled run: requests, rows written",
                "<= 2, 0",
                f"{n['requests']}, {n['rows_inserted'] + n['rows_closed']}",
                "met" if n["requests"] <= 2 and n["rows_inserted"] + n["rows_closed"] == 0 else "MISSED",
            ]
        )
        b = scenarios["backfill"]
        rows.append(
            [
                "backfill wall time / ideal (its waves of 3 x latency)",
                f"<= {BACKFILL_RATIO:.0f}",
                f"{b['seconds'] / b['ideal_s']:.1f} ({b['seconds']:.2f} / {b['ideal_s']:.2f} s)",
                verdict(b["seconds"] / b["ideal_s"], BACKFILL_RATIO),
            ]
        )
        rows.append(
            [
                "  (fetch phase alone / ideal, for reference)",
                f"<= {BACKFILL_RATIO:.0f}",
                f"{b['fetch_s'] / b['ideal_s']:.1f} ({b['fetch_s']:.2f} s)",
                verdict(b["fetch_s"] / b["ideal_s"], BACKFILL_RATIO),
            ]
        )
    title = "Targets" + (
        " (--quick: tiny sizes, measurements side by side: a smoke test, the verdicts mean nothing)" if quick else ""
    )
    return table(["target", "wanted", "measured", "verdict"], rows, title)


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", type=parse_sizes, default=None, help="comma-separated row counts, e.g. 1M,3M,5M,20M (default) or 100k,300k"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run (timings not meaningful): 50k rows, one fixed-cost run, no real file, scenarios with "
        "30 countries since 2020 run alongside",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "exportwatch-bench",
        help="inputs and scratch (default %(default)s)",
    )
    parser.add_argument(
        "--keep-inputs", action="store_true", help="keep generated inputs over 1 GB (default: delete them after their size)"
    )
    parser.add_argument(
        "--fixed-repeats",
        type=int,
        default=None,
        help="runs of the 1,000-row file; the median is the fixed cost (default 3, quick 1)",
    )
    parser.add_argument(
        "--ref-repeats",
        type=int,
        default=None,
        help="runs of the DuckDB reference per size; the fastest counts (default 2, quick 1)",
    )
    parser.add_argument(
        "--pandas-max-rows", type=parse_size, default=parse_size("5M"), help="largest size for the pandas path (default 5M)"
    )
    parser.add_argument("--no-scenarios", action="store_true")
    parser.add_argument(
        "--real",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the real 12531-0043 job result (default: yes, except with --quick)",
    )
    parser.add_argument("--latency", type=float, default=0.2, help="injected latency per data answer in the scenarios (s)")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="largest",
        default=None,
        type=parse_sizes,
        metavar="SIZES",
        help="also time the phases of one more load at these sizes, e.g. 5M,20M (default: the largest size run)",
    )
    parser.add_argument(
        "--first-load-sizes",
        type=parse_sizes,
        default=[],
        metavar="SIZES",
        help="also load these sizes once each, e.g. 50M: the ZIP only, no bare CSV, baselines or re-loads "
        "(shows peak RSS stays flat; about 4 min and 0.5 GB of disk per 50M rows)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--memory-limit",
        default=None,
        help="[warehouse] memory_limit for every exportwatch process (default: exportwatch's, 700MB)",
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or parse_sizes("50k" if args.quick else "1M,3M,5M,20M")
    args.profile_rows = {max(sizes)} if args.profile == "largest" else set(args.profile or [])
    if not args.profile_rows <= set(sizes):
        parser.error(f"--profile: {', '.join(f'{n:,}' for n in sorted(args.profile_rows - set(sizes)))} not among the sizes run")
    repeats = args.fixed_repeats or (1 if args.quick else 3)
    args.ref_repeats = args.ref_repeats or (1 if args.quick else 2)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"  {time.perf_counter() - started:7.1f} s  {message}", file=sys.stderr, flush=True)

    if args.memory_limit:
        CHILD_SETTINGS["EXPORTWATCH_WAREHOUSE__MEMORY_LIMIT"] = args.memory_limit
    print(
        f"exportwatch benchmarks; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{os.cpu_count()} CPUs; {mem_available_mb() / 1024:.1f} GB available; work dir {work}; "
        f"DuckDB memory limit {args.memory_limit or 'default (700MB)'}",
        flush=True,
    )
    scenario_process = None
    if not args.no_scenarios:
        cmd = [sys.executable, "-m", "benchmarks.scenarios", "--latency", str(args.latency), "--work", str(work)]
        if args.quick:  # smoke run: alongside the rest, so its timings (and theirs) mean little
            scenario_process = subprocess.Popen(
                cmd + ["--countries", "30", "--since", "2020"],
                cwd=work,
                env=child_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
    log("fixed cost (1,000-row file)")
    side = ThreadPoolExecutor(1)
    fixed_future = side.submit(measure_fixed_cost, work, repeats)
    if not args.quick:
        fixed_future.result()
    results: list[SizeResult] = []
    skipped: list[str] = []
    pandas_bytes_per_row = [PANDAS_BYTES_PER_ROW]
    for rows in sizes:
        need = rows * CSV_BYTES_PER_ROW * 3.5
        free = shutil.disk_usage(work).free
        if free < need and not (work / "inputs" / f"51000-0012_{size_label(rows)}_de_flat.csv.done").exists():
            skipped.append(f"{size_label(rows)}: needs about {need / 2**30:.1f} GB on {work}, {free / 2**30:.1f} GB free")
            continue
        try:
            results.append(measure_size(work, rows, 0.0, args, pandas_bytes_per_row, log, parallel=args.quick))
        except Exception as error:  # one size failing must not lose the others
            log(f"[{size_label(rows)}] failed: {error}")
            skipped.append(f"{size_label(rows)}: failed ({type(error).__name__}: {str(error)[:300]})")
    first_loads = [measure_first_load(work, rows, log) for rows in args.first_load_sizes]
    fixed_s, fixed_runs, fixed_cpu_s = fixed_future.result()
    side.shutdown()
    for r in results:
        r.fixed_s, r.fixed_cpu_s = fixed_s, fixed_cpu_s
    real = measure_real(work, log) if (args.real if args.real is not None else not args.quick) else None
    scenarios = None
    if scenario_process is not None:
        log("scenarios (fake GENESIS, started alongside)")
        out, err = scenario_process.communicate()
        scenarios = Measured(0, 0, scenario_process.returncode, out, err).json()
    elif not args.no_scenarios:
        log("scenarios (fake GENESIS)")
        scenarios = run_measured(cmd, cwd=work, env=child_env()).json()
    print()
    print(
        f"fixed cost: median of {repeats} run(s) of `exportwatch load` on a 1,000-row ZIP: {fixed_s:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in fixed_runs)}); CPU time {fixed_cpu_s:.2f} s"
    )
    if results:
        print()
        print(load_table(results))
        notes = [
            "DuckDB reference runs (the fastest counts): "
            + "; ".join(f"{size_label(r.rows)} " + " / ".join(f"{t:.2f}" for t in r.ref_runs) + " s" for r in results)
        ]
        notes += [f"{size_label(r.rows)}: pandas {r.pandas_note}" for r in results if r.pandas_note]
        notes += [f"{size_label(r.rows)}: {n}" for r in results for n in r.notes]
        notes += [
            f"{size_label(r.rows)}: {name} failed: {run.error}"
            for r in results
            for name, run in (
                ("load", r.load),
                ("re-load", r.reload),
                ("same-data re-load", r.redownload),
                ("revision", r.revision),
            )
            if run.error
        ]
        for note in notes + [f"size {s}" for s in skipped]:
            print(f"  note: {note}")
        print()
        print(reload_table(results))
    if first_loads:
        print()
        print(first_load_table(results, first_loads))
    if real:
        print()
        print(real_table(real))
        print(f"  exportwatch's answer: {real['load_message'] or real['load_outcome']}")
    if scenarios:
        print()
        print(scenario_table(scenarios))
    for label, profile in PROFILES.items():
        from benchmarks.profile_load import format_profile

        print()
        print(f"Where the time goes: one more `exportwatch load` at {label}, phases timed in-process (benchmarks.profile_load)")
        print(format_profile(profile))
    print()
    print(targets_table(results, scenarios, args.quick, fixed_s, fixed_cpu_s, first_loads))
    print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "fixed_s": fixed_s,
                    "fixed_runs": fixed_runs,
                    "fixed_cpu_s": fixed_cpu_s,
                    "sizes": [sizes_json(r) for r in results],
                    "real": real,
                    "scenarios": scenarios,
                    "skipped": skipped,
                    "profiles": PROFILES,
                },
                indent=1,
                default=str,
            )
        )
    return 0


def sizes_json(r: SizeResult) -> dict:
    data = dict(r.__dict__)
    for key in ("load", "reload", "redownload", "revision"):
        data[key] = dict(getattr(r, key).__dict__)
    data["ratio"] = r.ratio
    return data


if __name__ == "__main__":
    sys.exit(main())
