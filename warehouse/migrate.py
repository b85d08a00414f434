"""Bring a warehouse to the current schema: ordered migrations once each, views every time."""

import hashlib
import re

import duckdb

from warehouse.parameters import execute
from warehouse.results import scalar
from warehouse.sql_files import read_sql, seed_hash, seed_path, sql_names
from warehouse.transactions import in_transaction

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
COMMENT ON TABLE schema_migrations IS 'Migrations (warehouse/migrations/*.sql) applied to this file, in order.';
"""

# DuckLake (1.5) keeps comments on tables, columns and views, but not on view columns or macros.
_LAKE_UNSUPPORTED = re.compile(r"^(\s*--[^\n]*\n)*\s*COMMENT\s+ON\s+(COLUMN|MACRO)\b", re.IGNORECASE)


def migrate(con: duckdb.DuckDBPyConnection, *, lake: bool = False) -> list[str]:
    """Apply pending migrations and (re)create the views, in one transaction. Returns what was applied."""
    return in_transaction(con, lambda: _migrate(con, lake), what="Migrating the warehouse")


def _migrate(con: duckdb.DuckDBPyConnection, lake: bool) -> list[str]:
    # Only DDL that changes something: an up-to-date warehouse is opened without writing to it.
    if not scalar(
        con, "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'schema_migrations'"
    ):
        con.execute(_BOOKKEEPING)
    done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = [name for name in sql_names("migrations") if name not in done]
    for name in applied:
        con.execute(read_sql(name))
        execute(con, "INSERT INTO schema_migrations (name) VALUES (?)", [name])
    if "migrations/003_countries" in applied:
        _seed_countries(con)
    # The priority goods list is data: a new version of its seed file replaces the table's rows.
    seed_version = "seeds/priority_goods@" + seed_hash("priority_goods.csv")
    if seed_version not in done:
        _seed_priority_goods(con)
        execute(con, "INSERT INTO schema_migrations (name) VALUES (?)", [seed_version])
        applied.append(seed_version)
    # Views are recreated only when their SQL changed: on a DuckLake every DDL is a new snapshot
    # that would conflict with a concurrent writer's.
    views = sql_names("views")
    version = "views@" + hashlib.sha256("".join(read_sql(name) for name in views).encode()).hexdigest()[:16]
    if version not in done:
        for name in views:
            for statement in duckdb.extract_statements(read_sql(name)):
                if not (lake and _LAKE_UNSUPPORTED.match(statement.query)):
                    con.execute(statement.query)
        execute(con, "INSERT INTO schema_migrations (name) VALUES (?)", [version])
        applied.append(version)
    return applied


def _seed_countries(con: duckdb.DuckDBPyConnection) -> None:
    execute(
        con,
        "INSERT INTO countries (country_code, name_de, name_en, iso2) SELECT country_code, name_de, name_en, nullif(iso2, '') "
        "FROM read_csv(?, header = true, all_varchar = true)",
        [seed_path("countries.csv")],
    )


def _seed_priority_goods(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM priority_goods")
    execute(
        con,
        "INSERT INTO priority_goods (hs6, tier, description, list_version, exists_since, source) "
        "SELECT hs6, tier, description, list_version, CAST(nullif(exists_since, '') AS DATE), source "
        "FROM read_csv(?, header = true, all_varchar = true)",
        [seed_path("priority_goods.csv")],
    )
