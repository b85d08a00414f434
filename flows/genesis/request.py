"""A data/tablefile request for a foreign-trade table, and how to cut it below the dialog limit."""

import hashlib
import json
from dataclasses import dataclass, replace

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class TableRequest:
    table: str
    countries: tuple[str, ...]  # STLAH keys
    measures: tuple[str, ...]  # value variables, e.g. WERTA, WERTE
    startyear: int
    endyear: int
    language: str = "de"

    def form(self) -> dict[str, str]:
        """The POST form. Credentials are not part of it: they go in headers."""
        return {
            "name": self.table,
            "area": "all",
            "format": "ffcsv",
            "compress": "false",
            "language": self.language,
            "quality": "on",
            "startyear": str(self.startyear),
            "endyear": str(self.endyear),
            "classifyingvariable1": "STLAH",
            "classifyingkey1": ",".join(self.countries),
            "contents": ",".join(self.measures),
            "job": "false",
        }

    @property
    def key(self) -> str:
        """Stable identity of the request across runs (stand and job are not part of it)."""
        return hashlib.sha256(json.dumps(self.form(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def values(self) -> int:
        return len(self.countries) * len(self.measures) * MONTHS_PER_YEAR * (self.endyear - self.startyear + 1)

    def describe(self) -> str:
        countries = ",".join(self.countries) if len(self.countries) <= 4 else f"{len(self.countries)} countries"
        return (
            f"data/tablefile name={self.table} years={self.startyear}-{self.endyear} "
            f"STLAH={countries} contents={','.join(self.measures)}"
        )

    def split(self) -> list["TableRequest"]:
        """Two smaller requests covering the same values: by years first, then measures, then countries."""
        if self.endyear > self.startyear:
            middle = (self.startyear + self.endyear) // 2
            return [replace(self, endyear=middle), replace(self, startyear=middle + 1)]
        if len(self.measures) > 1:
            half = len(self.measures) // 2
            return [replace(self, measures=self.measures[:half]), replace(self, measures=self.measures[half:])]
        if len(self.countries) > 1:
            half = len(self.countries) // 2
            return [replace(self, countries=self.countries[:half]), replace(self, countries=self.countries[half:])]
        return []


def plan_years(
    table: str,
    countries: tuple[str, ...],
    measures: tuple[str, ...],
    first_year: int,
    last_year: int,
    *,
    language: str,
    value_limit: int,
) -> list[TableRequest]:
    """Requests for first_year..last_year, each below value_limit.

    Chunks are aligned to multiples of the chunk length, so that the same years give the same
    requests (and request keys) in later runs even when first_year or last_year move.
    """
    if last_year < first_year:
        return []
    per_year = len(countries) * len(measures) * MONTHS_PER_YEAR
    years_per_request = max(1, value_limit // max(per_year, 1))
    requests = []
    start = first_year
    while start <= last_year:
        aligned_end = (start // years_per_request + 1) * years_per_request - 1
        end = min(aligned_end, last_year)
        requests += _below_limit(TableRequest(table, countries, measures, start, end, language), value_limit)
        start = end + 1
    return requests


def _below_limit(request: TableRequest, value_limit: int) -> list[TableRequest]:
    """A year of a wide selection can itself exceed the limit: cut it by measures, then countries."""
    if request.values <= value_limit:
        return [request]
    parts = request.split()
    if not parts:
        return [request]  # one country, one measure, one year: GENESIS will say if it is too big
    return [piece for part in parts for piece in _below_limit(part, value_limit)]
