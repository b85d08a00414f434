"""`exportwatch demo`, the README's first command, as a newcomer runs it: in an empty folder."""

import os
import shlex
import subprocess
import sys

import pytest

from tests.support import query

pytestmark = pytest.mark.slow


def run_demo(cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESIS_", "EXPORTWATCH_", "PREFECT_"))}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_demo_loads_the_series_and_a_second_run_loads_nothing(tmp_path):
    first = run_demo(tmp_path)

    assert first.returncode == 0, first.stderr[-3000:]
    out = first.stdout
    assert "This run: loaded, 1 request(s), 204 row(s) inserted; 204 observations in data/demo.duckdb." in out
    assert "Exports to Russia, March 2022: 997.3 m EUR, -60.0 % on March 2021." in out
    assert "Exports to Kyrgyzstan: 50 m EUR in 2021 → 714 m EUR in 2023 (× 14.4)." in out
    assert "Eurostat Comext" in out
    assert "uv run exportwatch sql --db data/demo.duckdb" in out
    assert "Traceback" not in first.stderr and "INFO" not in first.stderr  # quiet by default
    for hint in [line.strip() for line in out.splitlines() if line.strip().startswith("uv run exportwatch ")]:
        # the commands the demo suggests next work as printed (here without uv, in the same folder)
        args = shlex.split(hint)[len(("uv", "run", "exportwatch")) :]
        result = subprocess.run(
            [sys.executable, "-m", "flows.cli", *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0 and result.stdout, (hint, result.stderr)
    alerts = query(tmp_path / "data" / "demo.duckdb", "SELECT count(*), min(month) FROM alerts WHERE kind = 'historical'")[0]
    assert alerts[0] > 0 and f"{alerts[0]} raised in this run" in out
    assert (tmp_path / "data" / "prefect" / "prefect.db").exists(), "run history kept next to the warehouse"

    second = run_demo(tmp_path)

    assert second.returncode == 0, second.stderr[-3000:]
    assert "This run: unchanged, 1 request(s), 0 row(s) inserted; 204 observations" in second.stdout
