"""Start-up time of the commands a user runs interactively, against `python -c "import duckdb"` in
the same run (the floor for anything that opens a DuckDB file). Median of N fresh processes each.

    uv run python -m benchmarks.startup            # N = 7
    uv run python -m benchmarks.startup --runs 15

Target (issue 12): `sql "SELECT 1"`, `status` and `--help` within 0.35 s on the project's machine;
reported as each command's ratio to the DuckDB import, which travels better between machines.
"""

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall_time(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="exportwatch-startup-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXPORTWATCH_", "GENESIS_"))}
    env["PREFECT_HOME"] = str(work / "prefect")
    db = work / "demo.duckdb"
    from warehouse.connection import open_warehouse

    with open_warehouse(db):  # a migrated warehouse, so that `status` reads its real views
        pass

    # The project's own modules as bytecode, as after any first run: where PYTHONDONTWRITEBYTECODE
    # is set (CI, some containers) every run would otherwise compile them again (~0.1-0.2 s).
    root = Path(__file__).resolve().parents[1]
    for package in ("flows", "warehouse", "schemas"):
        compileall.compile_dir(root / package, quiet=1)

    cli = [sys.executable, "-m", "flows.cli"]
    cases = {
        'python -c "import duckdb"': [sys.executable, "-c", "import duckdb"],
        "exportwatch --help": [*cli, "--help"],
        'exportwatch sql "SELECT 1"': [*cli, "sql", "--db", str(db), "SELECT 1"],
        "exportwatch status": [*cli, "status", "--db", str(db)],
    }
    load = os.getloadavg()
    times: dict[str, float] = {}
    for _ in range(options.runs):  # interleaved, so a burst of load hits every case alike
        for name, args in cases.items():
            times.setdefault(name, [])
            times[name].append(wall_time(args, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians['python -c "import duckdb"']
    print(
        f"median of {options.runs} runs; load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after {os.getloadavg()[0]:.2f}"
    )
    print(f"{'command':<32} {'seconds':>8} {'× import duckdb':>16}")
    for name, seconds in medians.items():
        print(f"{name:<32} {seconds:>8.3f} {seconds / floor:>16.2f}")


if __name__ == "__main__":
    main()
