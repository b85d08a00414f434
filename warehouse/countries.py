"""The STLAH country nomenclature as shipped in seeds/countries.csv, for code look-ups."""

import csv
from dataclasses import dataclass
from functools import cache

from warehouse.sql_files import seed_path


@dataclass(frozen=True)
class Country:
    code: str
    name_de: str
    name_en: str
    iso2: str | None


@cache
def countries() -> dict[str, Country]:
    with open(seed_path("countries.csv"), encoding="utf-8", newline="") as handle:
        return {
            row["country_code"]: Country(row["country_code"], row["name_de"], row["name_en"], row["iso2"] or None)
            for row in csv.DictReader(handle)
        }
