"""The benchmark suite runs end to end (`python -m benchmarks.run --quick`) and prints its tables
with every column filled. No timing assertions: this machine and CI are too noisy for that; the
benchmark's own targets are ratios reported by the run."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def section(output: str, title: str) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the table printed under a title line that starts with `title`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    header, rule = lines[start + 1], lines[start + 2]
    assert set(rule.replace(" ", "")) == {"-"}, f"no table under {title!r}"
    # Columns are separated by two spaces and right-aligned: cut at the rule's column boundaries.
    spans, position = [], 0
    for dashes in rule.split("  "):
        spans.append((position, position + len(dashes)))
        position += len(dashes) + 2
    cut = lambda line: [line[a:b].strip() for a, b in spans]  # noqa: E731
    rows = []
    for line in lines[start + 3 :]:
        if (
            not line.strip()
            or line.startswith(("  note:", "  exportwatch's answer:"))
            or not line.startswith(" ")
            and ":" in line[:20]
        ):
            break
        rows.append(cut(line))
    return cut(header), rows


@pytest.mark.slow
def test_quick_benchmark_prints_complete_tables(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--first-load-sizes", "100k,150k", "--work", str(tmp_path / "bench")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout

    headers, rows = section(out, "Load:")
    assert len(headers) == 13 and rows, out
    for row in rows:
        assert all(cell and cell not in ("n/a", "skipped") for cell in row), dict(zip(headers, row))

    headers, rows = section(out, "Re-load and revision")
    assert len(headers) == 11 and rows, out
    for row in rows:
        cells = dict(zip(headers, row))
        assert all(row), cells
        assert row[2] == "0", f"re-loading the same file wrote rows: {cells}"
        assert row[5] == "0", f"re-loading the same data wrote rows: {cells}"
        assert row[8] == row[9] == row[7], f"the 1 % revision should close and insert one row per revised value: {cells}"

    headers, rows = section(out, "First loads by size")
    assert [(row[0], row[-1]) for row in rows] == [("50k", "ok"), ("100k", "ok"), ("150k", "ok")], out

    headers, rows = section(out, "Scenarios:")
    assert [r[0] for r in rows] == [
        "backfill since 2020",
        "1st scheduled run after it",
        "no-op scheduled run",
        "scheduled, 1 value revised",
        "full refresh (all years again)",
    ], out
    assert all(all(row) for row in rows), out
    noop = dict(zip(headers, rows[2]))
    assert noop["rows written"] == "0", noop

    headers, rows = section(out, "Targets")
    assert rows and all(all(row) for row in rows), out
    assert {"peak RSS flat: 150k / 50k", "(bounded: 150k / 100k, for reference)"} <= {row[0] for row in rows}, out
    assert "load average after" in out


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--profile", "3X"], "argument --profile: not a size: '3X'"),
        (["--sizes", "1M", "--profile", "2M"], "--profile: 2,000,000 not among the sizes run"),
    ],
)
def test_wrong_benchmark_arguments_fail_before_anything_runs(tmp_path, arguments, error):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--work", str(tmp_path / "work"), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(f"run.py: error: {error}")
    assert not (tmp_path / "work").exists()
