"""Plan: the requests of one run, per table the revision window (with `stand`) and the years not
yet fetched; a backfill asks for exactly its years."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flows.config import Settings, resolve_countries
from flows.genesis.request import TableRequest, chunk_start, plan_years
from warehouse import queries
from warehouse.connection import open_warehouse
from warehouse.priority_goods import priority_goods


@dataclass(frozen=True)
class PlannedRequest:
    request: TableRequest
    stand: datetime | None  # send as `stand`: GENESIS answers 50 if nothing changed since


PRIORITY_GOODS_MEASURES = ("WERTA", "WERTE")


def table_templates(settings: Settings, countries: list[str] | None) -> list[tuple[TableRequest, int]]:
    """(request template, first year) for the watchlist table and every [[tables]] entry."""
    w = settings.watchlist
    language = settings.genesis.language
    templates = [(TableRequest(w.table, resolve_countries(countries or w.countries), tuple(w.measures), 0, 0, language), w.since)]
    for extra in settings.tables:
        template = TableRequest(
            extra.table,
            resolve_countries(countries or extra.countries or w.countries),
            tuple(extra.measures),
            0,
            0,
            language,
            goods_variable=extra.goods_variable,
            goods=tuple(extra.goods) if extra.goods_variable else (),
            goods_estimate=extra.goods_estimate,
        )
        templates.append((template, extra.since or w.since))
    if settings.priority_goods is not None:
        p = settings.priority_goods
        goods = tuple(good.goods_key() for good in priority_goods())
        template = TableRequest(
            p.table,
            resolve_countries(countries or p.countries),
            PRIORITY_GOODS_MEASURES,
            0,
            0,
            language,
            goods_variable=p.goods_variable,
            goods=goods,
            goods_estimate=len(goods),
        )
        templates.append((template, p.since))
    return templates


def plan_update(
    settings: Settings,
    *,
    countries: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    today: date | None = None,
) -> list[PlannedRequest]:
    """The requests of one run: per table the revision window always (with `stand`), older years
    only until they have been fetched once. `since` reaches further back than the configured first
    year: its years are fetched once too, and later runs with it cost what any run costs. With
    `until` (a backfill) exactly the years since..until, without `stand`."""
    today = today or datetime.now(UTC).date()
    templates = table_templates(settings, countries)
    with open_warehouse(settings.warehouse.location, lock_timeout=settings.warehouse.lock_timeout_seconds) as con:
        known = {t.table: (queries.fetch_state(con, t.table), queries.earliest_open_year(con, t.table)) for t, _ in templates}
    limit = settings.genesis.dialog_value_limit
    plan: list[PlannedRequest] = []
    for template, table_since in templates:
        state, open_year = known[template.table]
        if until is not None:
            years = plan_years(template, table_since if since is None else since, min(until, today.year), value_limit=limit)
            plan += [PlannedRequest(r, None) for r in years]
            continue
        window_start = today.year - settings.watchlist.revision_years
        if open_year is not None:
            window_start = min(window_start, open_year)
        # Start the window at a chunk boundary, so the requests (and the stand remembered for
        # them) are the same from run to run, with or without --since; small tables thus ask for
        # their whole history.
        window_start = max(chunk_start(template, window_start, limit), table_since)
        window = plan_years(template, window_start, today.year, value_limit=limit)
        plan += [PlannedRequest(r, state.get(r.key)) for r in window]
        first_year = table_since if since is None else min(since, table_since)
        for r in plan_years(template, first_year, window_start - 1, value_limit=limit):
            if r.key not in state:
                plan.append(PlannedRequest(r, None))
    return plan
