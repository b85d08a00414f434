"""What a load receives: validated observations of one response, staged as Parquet, plus the
response's raw-layer record. Built by the fetch/parse side; the warehouse only reads it."""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class RawResponse:
    request_key: str
    table_code: str
    endpoint: str
    request: dict[str, str]  # form parameters only; credentials travel in headers and never here
    fetched_at: datetime  # UTC, naive
    sha256: str
    size_bytes: int
    content_type: str
    archive_path: str  # relative to the archive folder
    content: "Content | None" = None  # the flat file inside, where staging saw all of it


@dataclass(frozen=True)
class Content:
    """What identifies a flat file whatever wraps it (a ZIP, or the bare CSV)."""

    sha256: str
    crc32: int | None  # None where not computed (a bare CSV)
    size_bytes: int


@dataclass(frozen=True)
class Batch:
    raw: RawResponse
    # Parquet file with the columns of schemas.observations.Observations, values as exact DECIMAL.
    observations: Path
    rows: int = field(default=0)


@dataclass(frozen=True)
class FetchRecord:
    """A request that succeeded; remembered so the next run can send `stand`."""

    request_key: str
    table_code: str
    request: dict[str, str]
    succeeded_at: datetime
    sha256: str | None
