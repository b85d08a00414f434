"""Query results as the terminal shows them (a plain-text table) or as csv, json and jsonl.

Every value is printed literally: no markup language interprets text from GENESIS, the warehouse
or the user. A table fits the terminal's width the way the DuckDB CLI does it: a number or a date
is never cut; long text is shortened with "…", and columns that still do not fit are left out in
the middle (the footer says how many). DECIMAL values are strings in JSON so no digit is lost;
percentages are rounded in the table only.
"""

import csv
import json
import math
import os
import shutil
import sys
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO
from uuid import UUID

TEXT_CELL_LIMIT = 40  # longer text is shortened to this in a table (csv and json give it whole)
NARROWEST_TEXT = 8
GAP = "  "


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


def terminal_width(stream: TextIO) -> int | None:
    """COLUMNS if set, the terminal's width on a terminal, otherwise None (no limit: a pipe or a file)."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if stream.isatty():
        return shutil.get_terminal_size().columns
    return None


def json_value(value: Any) -> Any:
    """A JSON value: DECIMAL as a string (exact), dates and times ISO 8601, NaN/infinity as null."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def write_rows(
    columns: list[str], rows: list[tuple], format: OutputFormat, out: TextIO | None = None, *, keep: tuple[str, ...] = ()
) -> None:
    """Rows in the chosen format; a table narrower than the terminal leaves out columns, those in `keep` last."""
    out = out or sys.stdout
    if format is OutputFormat.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif format is OutputFormat.json:
        out.write(json.dumps([record(columns, row) for row in rows], indent=1, ensure_ascii=False) + "\n")
    elif format is OutputFormat.jsonl:
        for row in rows:
            out.write(json.dumps(record(columns, row), ensure_ascii=False) + "\n")
    else:
        out.write(render_table(columns, rows, terminal_width(out), keep))


def record(columns: list[str], row: tuple) -> dict[str, Any]:
    return {column: json_value(value) for column, value in zip(columns, row)}


def cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, Decimal)) and column.endswith("pct") and math.isfinite(value):
        return f"{value:.1f}"  # a percentage: one decimal is what a reader compares
    if isinstance(value, float):
        return f"{value:.10g}" if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return " ".join(str(value).splitlines()) if isinstance(value, str) else str(value)


def is_text(values: Iterable[Any]) -> bool:
    """A column that may be shortened: text (numbers, dates and times never are)."""
    return all(v is None or isinstance(v, str) for v in values)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(columns: list[str], rows: list[tuple], width: int | None, keep: tuple[str, ...] = ()) -> str:
    if not columns:
        return ""
    cells = [[cell(c, v) for c, v in zip(columns, row)] for row in rows]
    text_column = [is_text(row[i] for row in rows) for i in range(len(columns))]
    numeric = [
        not text and all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows)
        for i, text in enumerate(text_column)
    ]

    widths = [max([len(columns[i])] + [len(r[i]) for r in cells]) for i in range(len(columns))]
    if width is not None:
        widths = [min(w, TEXT_CELL_LIMIT) if text_column[i] else w for i, w in enumerate(widths)]
    shown = list(range(len(columns)))

    def total(indices: list[int]) -> int:
        hidden = len(indices) < len(columns)
        return sum(widths[i] for i in indices) + len(GAP) * (len(indices) - 1) + (len(GAP) + 1 if hidden else 0)

    if width is not None:
        # Narrow the text columns first, down to NARROWEST_TEXT but not into their header, then leave
        # out columns: those without a value in any row, then text columns from the middle (keeping
        # the first), then any from the middle: dates and numbers are what a reader looks for. The
        # columns a command names in `keep` (what its rows are about) are narrowed and left out last.
        floor = [min(widths[i], max(NARROWEST_TEXT, len(columns[i]))) for i in range(len(columns))]

        def narrow(candidates: list[int]) -> None:
            while total(shown) > width:
                text_widths = [(widths[i], i) for i in candidates if i in shown and text_column[i] and widths[i] > floor[i]]
                if not text_widths:
                    return
                widest, i = max(text_widths)
                widths[i] = max(floor[i], widest - (total(shown) - width))

        def leave_out(candidates: list[int]) -> None:
            empty = [i for i in reversed(candidates) if all(row[i] is None or row[i] == "" for row in rows)]
            while total(shown) > width and len(shown) > 1:
                order = sorted(
                    (i for i in shown[1:] if i in candidates), key=lambda i: (not text_column[i], abs(i - len(columns) / 2))
                )
                if not order:
                    return
                shown.remove(empty.pop(0) if empty else order[0])

        others = [i for i in shown if columns[i] not in keep]
        narrow(others)
        leave_out(others)
        narrow(shown)
        leave_out(shown)
    hidden = len(columns) - len(shown)
    gap_at = next((p for p, i in enumerate(shown) if p != i), len(shown)) if hidden else None

    def line(values: list[str]) -> str:
        parts = []
        for position, i in enumerate(shown):
            if position == gap_at:
                parts.append("…")
            text = shorten(values[i], widths[i])
            parts.append(text.rjust(widths[i]) if numeric[i] else text.ljust(widths[i]))
        return GAP.join(parts).rstrip()

    out = [line(columns)]
    out.append(line(["─" * widths[i] for i in range(len(columns))]))
    out += [line(r) for r in cells]
    footer = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if hidden:
        footer += f"; {hidden} of {len(columns)} columns not shown at …, --format csv shows all"
    out.append(f"({footer})")
    return "\n".join(out) + "\n"
