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
    goods_variable: str = ""  # e.g. WAM8; empty for tables by country only
    goods: tuple[str, ...] = ()  # goods keys, or ("*",) for all
    goods_estimate: int = 1000  # how many goods "*" stands for, to stay below the dialog limit

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
            **(
                {"classifyingvariable2": self.goods_variable, "classifyingkey2": ",".join(self.goods)}
                if self.goods_variable
                else {}
            ),
            "contents": ",".join(self.measures),
            "job": "false",
        }

    @property
    def key(self) -> str:
        """Stable identity of the request across runs (stand and job are not part of it)."""
        return hashlib.sha256(json.dumps(self.form(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def goods_count(self) -> int:
        if not self.goods_variable:
            return 1
        return self.goods_estimate if "*" in self.goods else len(self.goods)

    @property
    def values(self) -> int:
        return len(self.countries) * len(self.measures) * self.goods_count * MONTHS_PER_YEAR * (self.endyear - self.startyear + 1)

    def describe(self) -> str:
        countries = ",".join(self.countries) if len(self.countries) <= 4 else f"{len(self.countries)} countries"
        goods = ""
        if self.goods_variable:
            goods = f" {self.goods_variable}=" + (",".join(self.goods) if len(self.goods) <= 4 else f"{len(self.goods)} goods")
        return (
            f"data/tablefile name={self.table} years={self.startyear}-{self.endyear} "
            f"STLAH={countries}{goods} contents={','.join(self.measures)}"
        )

    def split(self) -> list["TableRequest"]:
        """Two smaller requests covering the same values: by years first, then measures, goods, countries."""
        if self.endyear > self.startyear:
            middle = (self.startyear + self.endyear) // 2
            return [replace(self, endyear=middle), replace(self, startyear=middle + 1)]
        if len(self.measures) > 1:
            half = len(self.measures) // 2
            return [replace(self, measures=self.measures[:half]), replace(self, measures=self.measures[half:])]
        if len(self.goods) > 1 and "*" not in self.goods:
            half = len(self.goods) // 2
            return [replace(self, goods=self.goods[:half]), replace(self, goods=self.goods[half:])]
        if len(self.countries) > 1:
            half = len(self.countries) // 2
            return [replace(self, countries=self.countries[:half]), replace(self, countries=self.countries[half:])]
        return []


def years_per_request(template: TableRequest, value_limit: int) -> int:
    return max(1, value_limit // max(replace(template, startyear=2000, endyear=2000).values, 1))


def chunk_start(template: TableRequest, year: int, value_limit: int) -> int:
    """The first year of the aligned chunk that holds `year` (see plan_years)."""
    size = years_per_request(template, value_limit)
    return year // size * size


def plan_years(template: TableRequest, first_year: int, last_year: int, *, value_limit: int) -> list[TableRequest]:
    """Requests like `template` for first_year..last_year, each below value_limit.

    Chunks are aligned to multiples of the chunk length, so that the same years give the same
    requests (and request keys) in later runs even when first_year or last_year move.
    """
    if last_year < first_year:
        return []
    size = years_per_request(template, value_limit)
    requests = []
    start = first_year
    while start <= last_year:
        aligned_end = (start // size + 1) * size - 1
        end = min(aligned_end, last_year)
        requests += _below_limit(replace(template, startyear=start, endyear=end), value_limit)
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
