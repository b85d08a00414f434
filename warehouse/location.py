"""Where the warehouse lives: one DuckDB file (the default), or a DuckLake — a catalog in SQLite
(several processes on one machine) or PostgreSQL (a team) with the data as Parquet files under a
data path. Everything else in the warehouse package works the same on both."""

import re
from dataclasses import dataclass
from pathlib import Path

LAKE_PREFIX = "ducklake:"
CATALOGS = {"sqlite": "sqlite", "postgres": "postgres"}  # catalog type -> DuckDB extension it needs

# libpq key=value passwords and URI user:password@ parts: never shown, whatever the source.
_SECRETS = (
    (re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE), r"\1***"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
)


def redact(text: str) -> str:
    """The text with any connection-string password replaced by ***."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class WarehouseUrlError(ValueError):
    """A [warehouse] url that names no supported backend."""


@dataclass(frozen=True)
class WarehouseLocation:
    url: str  # a DuckDB file path, or ducklake:<catalog>:<connection>
    data_path: str | None = None  # DuckLake only: where the Parquet files go (folder or s3://...)

    @classmethod
    def file(cls, path: Path) -> "WarehouseLocation":
        return cls(str(path))

    @classmethod
    def parse(cls, url: str, data_path: str | None = None) -> "WarehouseLocation":
        location = cls(url.strip(), data_path)
        if location.is_lake:
            catalog, _, connection = location.url[len(LAKE_PREFIX) :].partition(":")
            if catalog not in CATALOGS or not connection:
                raise WarehouseUrlError(
                    f"Unsupported warehouse url {redact(url)!r}: use a DuckDB file path, "
                    f"'ducklake:sqlite:PATH' or 'ducklake:postgres:<libpq connection string>'."
                )
        elif data_path:
            raise WarehouseUrlError("[warehouse] data_path is for DuckLake urls only; a DuckDB file keeps its data inside.")
        return location

    @property
    def is_lake(self) -> bool:
        return self.url.startswith(LAKE_PREFIX)

    @property
    def catalog(self) -> str | None:
        """'sqlite' or 'postgres' for a DuckLake, None for a DuckDB file."""
        return self.url[len(LAKE_PREFIX) :].split(":", 1)[0] if self.is_lake else None

    @property
    def path(self) -> Path | None:
        """The DuckDB file, or None for a DuckLake."""
        return None if self.is_lake else Path(self.url)

    @property
    def sqlite_catalog(self) -> Path | None:
        """The catalog file of a DuckLake in SQLite."""
        return Path(self.url.split(":", 2)[2]) if self.catalog == "sqlite" else None

    def exists(self) -> bool:
        """Whether there is a warehouse to read. A PostgreSQL catalog is assumed to exist (ATTACH says if not)."""
        if not self.is_lake:
            return Path(self.url).exists()
        if self.catalog == "sqlite":
            return self.sqlite_catalog.exists()
        return True

    def __str__(self) -> str:
        return redact(self.url)
