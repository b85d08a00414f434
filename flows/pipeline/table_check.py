"""`exportwatch check`, second part: does every configured table have the variables the
configuration names (STLAH, MONAT and the goods classification)? The first real run would fail on
a wrong goods variable only after fetching; metadata/table says it at once."""

from dataclasses import dataclass

from flows.config import Settings
from flows.genesis.client import GenesisClient


@dataclass(frozen=True)
class TableNeeds:
    table: str
    section: str  # where the configuration names it, e.g. [priority_goods]
    variables: tuple[str, ...]


@dataclass(frozen=True)
class TableCheck:
    needs: TableNeeds
    found: frozenset[str]

    @property
    def missing(self) -> list[str]:
        return [v for v in self.needs.variables if v not in self.found]

    def line(self) -> str:
        where = f"{self.needs.table} ({self.needs.section})"
        if not self.missing:
            return f"{where}: variables {', '.join(self.needs.variables)} found"
        if set(self.missing) & {"STLAH", "MONAT"}:
            return f"{where}: metadata/table lists no variable {', '.join(self.missing)}; exportwatch needs a monthly table by country"
        goods = sorted(v for v in self.found if v.startswith("WA"))
        instead = f"it has {', '.join(goods)}" if goods else "it has no goods variable"
        return f"{where}: metadata/table lists no goods variable {', '.join(self.missing)} ({instead}); set goods_variable in {self.needs.section}"


def configured_tables(settings: Settings) -> list[TableNeeds]:
    needs = [TableNeeds(settings.watchlist.table, "[watchlist]", ("STLAH", "MONAT"))]
    for i, extra in enumerate(settings.tables):
        goods = (extra.goods_variable,) if extra.goods_variable else ()
        needs.append(TableNeeds(extra.table, f"[[tables]] #{i + 1}", ("STLAH", "MONAT", *goods)))
    if settings.priority_goods is not None:
        p = settings.priority_goods
        needs.append(TableNeeds(p.table, "[priority_goods]", ("STLAH", "MONAT", p.goods_variable)))
    return needs


def check_tables(client: GenesisClient, settings: Settings) -> list[TableCheck]:
    """One metadata/table request per configured table (the same table is asked once)."""
    found: dict[str, frozenset[str]] = {}
    checks = []
    for needs in configured_tables(settings):
        if needs.table not in found:
            found[needs.table] = frozenset(client.table_variables(needs.table, settings.genesis.language))
        checks.append(TableCheck(needs, found[needs.table]))
    return checks
