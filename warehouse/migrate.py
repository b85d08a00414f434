"""Bring a warehouse to the current schema: ordered migrations once each, views every time."""

import duckdb

from warehouse.sql_files import read_sql, seed_path, sql_names

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
COMMENT ON TABLE schema_migrations IS 'Migrations (warehouse/migrations/*.sql) applied to this file, in order.';
"""


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations and (re)create the views, in one transaction. Returns what was applied."""
    con.begin()
    try:
        con.execute(_BOOKKEEPING)
        done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
        applied = [name for name in sql_names("migrations") if name not in done]
        for name in applied:
            con.execute(read_sql(name))
            con.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
        if "migrations/003_countries" in applied:
            _seed_countries(con)
        for name in sql_names("views"):
            con.execute(read_sql(name))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return applied


def _seed_countries(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO countries SELECT country_code, name_de, name_en, nullif(iso2, '') "
        "FROM read_csv(?, header = true, all_varchar = true)",
        [seed_path("countries.csv")],
    )
