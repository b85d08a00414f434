"""The priority goods list (CHPL) as shipped in seeds/priority_goods.csv, for planning requests."""

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache

from warehouse.sql_files import seed_path


@dataclass(frozen=True)
class PriorityGood:
    hs6: str
    tier: str
    description: str
    exists_since: date | None
    list_version: str

    def goods_key(self) -> str:
        """The GENESIS key of the 6-digit goods classification, e.g. WA854231."""
        return f"WA{self.hs6}"


@cache
def priority_goods() -> tuple[PriorityGood, ...]:
    with open(seed_path("priority_goods.csv"), encoding="utf-8", newline="") as handle:
        return tuple(
            PriorityGood(
                row["hs6"],
                row["tier"],
                row["description"],
                date.fromisoformat(row["exists_since"]) if row["exists_since"] else None,
                row["list_version"],
            )
            for row in csv.DictReader(handle)
        )
