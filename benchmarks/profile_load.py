"""Where `exportwatch load` spends its time and memory: the same `flows.pipeline.load_file.load_file` call,
with the phases wrapped in timers and the process RSS sampled every 20 ms.

    python -m benchmarks.profile_load FILE.zip --db DB [--table 51000-0012] [--json]

Nothing in the project is changed: the module-level functions the load goes through are replaced
by timing wrappers in this process only. The warehouse SQL steps (vintage merge) are timed through
a thin proxy around the warehouse connection.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


class Sampler(threading.Thread):
    """Keeps the highest RSS seen since the last reset()."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = current_rss_mb()
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, current_rss_mb())
            time.sleep(self.interval)

    def reset(self) -> float:
        self.peak = current_rss_mb()
        return self.peak


PHASES: list[dict] = []
STREAM = False
_depth = 0
_sampler: Sampler | None = None


@contextmanager
def phase(name: str):
    global _depth
    outer_peak = _sampler.peak if _sampler else 0.0
    start_rss = _sampler.reset() if _sampler else 0.0
    _depth += 1
    started = time.perf_counter()
    record = {"phase": name, "depth": _depth - 1, "order": len(PHASES)}
    PHASES.append(record)
    try:
        yield
    finally:
        _depth -= 1
        peak = _sampler.peak if _sampler else 0.0
        peak = max(peak, current_rss_mb())
        record.update(seconds=time.perf_counter() - started, start_rss_mb=start_rss, peak_rss_mb=peak)
        if STREAM:  # one line per finished phase, so a run stopped half-way still tells where it was
            print(json.dumps({"partial": record}), flush=True)
        if _sampler:  # the enclosing phase must still see this peak
            _sampler.peak = max(outer_peak, peak)


def wrap(module, attribute: str, label=None) -> None:
    original = getattr(module, attribute)

    def timed(*args, **kwargs):
        name = label(args, kwargs) if label else attribute
        with phase(name):
            return original(*args, **kwargs)

    setattr(module, attribute, timed)


class TimedConnection:
    """A DuckDB connection whose execute() is timed, labelled by the SQL's first line."""

    def __init__(self, con, names: dict[str, str]) -> None:
        self._con = con
        self._names = names

    def execute(self, sql: str, *args, **kwargs):
        label = next((name for text, name in self._names.items() if sql == text), None)
        if label is None:
            label = "sql: " + " ".join(sql.split())[:60]
        with phase(label):
            return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def instrument() -> None:
    import flows.pipeline.flat_file as flatfile
    import flows.pipeline.flat_zip as flat_zip
    import flows.pipeline.load as pipeline_load
    import flows.pipeline.load_file as load_file_module
    import flows.pipeline.stage as stage
    import warehouse.load as warehouse_load
    import warehouse.staging as staging
    from flows.genesis.archive import ResponseArchive
    from warehouse.sql_files import read_sql, sql_names

    names = {
        read_sql(n): f"merge: {n.split('/')[-1]}"
        for n in ("load/stage_observations", "load/close_revised", "load/insert_new", "load/insert_all", "load/insert_batch")
    }
    names.update({read_sql(n): f"data check: {n.split('/')[-1]}" for n in sql_names("checks")})

    original_store_file = ResponseArchive.store_file

    def store_file(self, *args, **kwargs):
        with phase("archive the file (copy + sha256)"):
            return original_store_file(self, *args, **kwargs)

    ResponseArchive.store_file = store_file
    wrap(load_file_module, "loaded_before", lambda a, k: "what was loaded before (warehouse read)")
    wrap(stage, "stage_flat_zip", lambda a, k: "stage a ZIP (unzip streamed into the read + validate + Parquet)")
    wrap(stage, "stage_flat_file", lambda a, k: "stage a CSV (parse + validate + Parquet)")
    wrap(flat_zip, "first_rows", lambda a, k: "unzip the first rows (layout sample)")
    wrap(flatfile, "extract_flat_csv", lambda a, k: "unzip to disk (only where the first rows do not settle it)")
    wrap(flatfile, "read_layout", lambda a, k: "layout (header + variable codes of the first rows)")
    wrap(staging, "type_observations", lambda a, k: "one read: read_csv -> typed table + contract (SQL)")
    wrap(staging, "observations_rejects", lambda a, k: "Observations contract (SQL)")
    wrap(flatfile, "validate_in_chunks", lambda a, k: f"pandera.ibis {a[3]} (rows rejected)")
    wrap(flatfile, "reject_duplicates", lambda a, k: "duplicate keys (SQL)")
    wrap(staging, "write_batch", lambda a, k: "write Parquet batch")
    original_load = pipeline_load.load_batches

    def load_batches(*args, **kwargs):
        with phase("warehouse load (open + migrate + merge + commit)"):
            return original_load(*args, **kwargs)

    load_file_module.load_batches = load_batches
    original_warehouse_load = pipeline_load.load

    def timed_load(con, *args, **kwargs):
        with phase("load transaction"):
            return original_warehouse_load(TimedConnection(con, names), *args, **kwargs)

    pipeline_load.load = timed_load
    wrap(warehouse_load, "_merge_observations", lambda a, k: "vintage merge")
    wrap(warehouse_load, "_run_data_checks", lambda a, k: "data checks")
    import warehouse.queries as queries

    wrap(queries, "changes_at", lambda a, k: "changes_at (report query)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--table", default="51000-0012")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    global _sampler, STREAM
    STREAM = args.json
    started = time.perf_counter()
    from flows.config import load_settings
    from flows.pipeline.load_file import load_file

    imports = time.perf_counter() - started
    _sampler = Sampler()
    _sampler.start()
    instrument()
    settings = load_settings(None, db=args.db)
    with phase("load_file (total)"):
        report = load_file(settings, args.file, table=args.table)
    _sampler.running = False
    result = {
        "imports_s": imports,
        "rows_inserted": report.rows_inserted,
        "rows_closed": report.rows_closed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "phases": PHASES,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(format_profile(result))


def format_profile(result: dict) -> str:
    if "error" in result:
        lines = [f"{result['error']}; phases finished before that:"]
    else:
        lines = [
            f"imports {result['imports_s']:.2f} s; rows inserted {result['rows_inserted']}, closed {result['rows_closed']}; "
            f"peak RSS {result['peak_rss_mb']:.0f} MB"
        ]
    lines.append(f"{'phase':<58} {'s':>8} {'RSS at start MB':>16} {'peak RSS MB':>12}")
    for p in result["phases"]:
        name = "  " * p["depth"] + p["phase"]
        lines.append(f"{name:<58} {p['seconds']:>8.2f} {p['start_rss_mb']:>16.0f} {p['peak_rss_mb']:>12.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
