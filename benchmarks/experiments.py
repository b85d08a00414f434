"""Prototypes of the changes the benchmark report proposes, timed on the same flat file, so the
proposals come with numbers. Nothing here is used by exportwatch; it reads the project's SQL and
schema and times alternatives next to the current steps.

    python -m benchmarks.experiments FILE.csv [--work DIR]

1. staging in one pass: read_csv with the dimension columns typed straight into the typed table,
   versus read_csv into a text table, then the typed table (today: flat_file + type_observations);
2. the contract checks as one aggregate query over the typed table, versus two pandera.ibis passes;
3. the merge into a warehouse without current rows for the batch: one INSERT from the Parquet
   batch, versus batch_observations + stage_observations (window) + close_revised + insert_new;
4. the run report: counts and 50 example rows in SQL, versus changes_at fetched whole into Python.
"""

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path


def timed(results: dict, name: str):
    class Timer:
        def __enter__(self):
            self.started = time.perf_counter()

        def __exit__(self, *exc):
            results[name] = round(time.perf_counter() - self.started, 2)
            print(f"  {name:<70} {results[name]:8.2f} s", file=sys.stderr, flush=True)

    return Timer()


def rows_expected(con) -> int:
    return con.execute("SELECT count(*) FROM staged").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    import duckdb

    from flows.genesis.flatfile import read_header, validate_in_chunks
    from schemas.flat_file import FLAT_FILE_ROWS
    from schemas.measures import MEASURES, NUMBER_PATTERN
    from schemas.observations import Observations
    from warehouse import staging
    from warehouse.migrate import migrate
    from warehouse.sql_files import read_sql

    results: dict = {}
    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        header = read_header(args.csv, context={})
        spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in header) + "}"
        units = ", ".join(f"('{m.code}', '{m.base_unit}', {m.factor}, '{m.unit_de}')" for m in MEASURES.values())

        # -- 1. staging -------------------------------------------------------------------------
        con = staging.open_scratch(work / "today.duckdb", "1GB")
        keep = ["statistics_code", "time_code", "time", "value", "value_unit", "value_variable_code",
                *(f"{g}_variable_code" for g in range(1, 5)), *(f"{g}_variable_attribute_code" for g in range(1, 5)), "value_q"]
        with timed(results, "1a today: read_csv into text table flat_file"):
            staging.read_flat_file(con, args.csv, header, keep)
        staging.define_rows(con, country_column="2_variable_attribute_code", goods_column="3_variable_attribute_code",
                            month_column="4_variable_attribute_code", quality_column="value_q")
        with timed(results, "1b today: type_observations (typed table from flat_file)"):
            staging.type_observations(con, "51000-0012", "WAM6")
        with timed(results, "2a today: pandera.ibis FlatFileRows + Observations"):
            validate_in_chunks(con, "flat_file_rows", FLAT_FILE_ROWS["de"], "FlatFileRows", {})
            validate_in_chunks(con, "staged_flat_observations_check", Observations, "Observations", {})
        with timed(results, "   today: write Parquet batch"):
            rows = staging.write_batch(con, work / "batch.parquet")
        con.close()

        con = staging.open_scratch(work / "onepass.duckdb", "1GB")
        con.execute(f"CREATE TABLE measure_units AS SELECT * FROM (VALUES {units}) AS t(measure, base_unit, factor, unit_de)")
        with timed(results, "1  proposed: one pass, read_csv -> typed table (+ raw text kept for checks)"):
            con.execute(f"""
                CREATE TABLE staged AS
                SELECT
                    statistics_code, time_code, "time" AS year_text, "2_variable_attribute_code" AS country_code,
                    coalesce("3_variable_attribute_code", '') AS goods_code, "4_variable_attribute_code" AS month_code,
                    value_variable_code AS measure, value_unit, "value" AS value_text, nullif(value_q, '') AS quality,
                    TRY_CAST(replace("value", ',', '.') AS DECIMAL(38, 3)) AS number
                FROM read_csv(?, delim = ';', header = true, auto_detect = false, quote = '"', escape = '"', columns = {spec})
            """, [str(args.csv)])
        with timed(results, "2  proposed: every contract check in one aggregate query"):
            pattern = NUMBER_PATTERN["de"]
            failures = con.execute(f"""
                SELECT
                    count(*) FILTER (WHERE statistics_code <> '51000') AS statistics_code,
                    count(*) FILTER (WHERE time_code <> 'JAHR') AS time_code,
                    count(*) FILTER (WHERE NOT regexp_full_match(year_text, '(19|20)\\d{{2}}')) AS year,
                    count(*) FILTER (WHERE NOT regexp_full_match(country_code, 'STLAH\\d{{3}}')) AS country,
                    count(*) FILTER (WHERE NOT regexp_full_match(goods_code, '[A-Z0-9-]*')) AS goods,
                    count(*) FILTER (WHERE NOT regexp_full_match(month_code, 'MONAT(0[1-9]|1[0-2])')) AS month,
                    count(*) FILTER (WHERE u.measure IS NULL OR u.unit_de <> s.value_unit) AS unit,
                    count(*) FILTER (WHERE NOT (value_text IN ('-', '.', '...', '/', 'x') OR regexp_full_match(value_text, '{pattern}'))) AS value,
                    count(*) FILTER (WHERE quality IS NOT NULL AND NOT regexp_full_match(quality, '[a-z()]{{0,3}}')) AS quality,
                    count(*) FILTER (WHERE make_date(TRY_CAST(year_text AS INTEGER), TRY_CAST(right(month_code, 2) AS INTEGER), 1) > current_date + INTERVAL 1 MONTH) AS future
                FROM staged AS s LEFT JOIN measure_units AS u USING (measure)
            """).fetchone()
            assert not any(failures), failures
            # the same query must see a broken row: one country code made invalid in a copy of the check
            broken = con.execute("SELECT count(*) FILTER (WHERE NOT regexp_full_match(country_code || 'x', 'STLAH\\d{3}')) FROM staged").fetchone()[0]
            assert broken == rows_expected(con), broken
        with timed(results, "   proposed: duplicate keys (same SQL as today)"):
            con.execute("""SELECT min(rowid), country_code, goods_code, year_text, month_code, measure FROM staged
                           GROUP BY country_code, goods_code, year_text, month_code, measure HAVING count(*) > 1 LIMIT 1000""").fetchall()
        with timed(results, "   proposed: typed Parquet batch straight from the staged table"):
            con.execute(f"""
                COPY (
                    SELECT '51000-0012' AS table_code, country_code, 'WAM6' AS goods_variable, goods_code,
                           make_date(CAST(year_text AS INTEGER), CAST(right(month_code, 2) AS INTEGER), 1) AS month, s.measure,
                           CASE WHEN value_text = '-' THEN 0::DECIMAL(38, 3) WHEN value_text IN ('.', '...', '/', 'x') THEN NULL
                                ELSE number * u.factor END AS value,
                           u.base_unit AS unit, CASE WHEN value_text IN ('-', '.', '...', '/', 'x') THEN value_text END AS symbol, quality
                    FROM staged AS s JOIN measure_units AS u USING (measure)
                ) TO '{work / "batch2.parquet"}' (FORMAT parquet)
            """)
        con.close()

        # -- 3. merge into an empty warehouse ------------------------------------------------------
        load_ts = datetime(2026, 1, 1)
        for variant in ("today", "proposed"):
            wh = duckdb.connect(str(work / f"{variant}.warehouse.duckdb"))
            wh.execute("SET memory_limit = '1GB'")
            migrate(wh)
            wh.execute("INSERT INTO raw_responses VALUES (1, 'k', '51000-0012', 'manual/load', '{}', ?, 'sha', 1, 'zip', 'x', ?)", [load_ts, load_ts])
            wh.begin()
            if variant == "today":
                with timed(results, "3a today: batch_observations + stage (window) + close_revised + insert_new"):
                    wh.execute("CREATE OR REPLACE TEMP TABLE batch_observations AS SELECT *, 1::BIGINT AS raw_response_id, "
                               "?::TIMESTAMP AS fetched_at FROM read_parquet(?)", [load_ts, str(work / "batch.parquet")])
                    wh.execute(read_sql("load/stage_observations"))
                    wh.execute(read_sql("load/close_revised"), {"load_ts": load_ts})
                    wh.execute(read_sql("load/insert_new"), {"load_ts": load_ts})
            else:
                with timed(results, "3  proposed: no current rows for this table -> one INSERT from the Parquet"):
                    current = wh.execute("SELECT count(*) FROM observations WHERE table_code = '51000-0012' AND valid_to IS NULL").fetchone()[0]
                    assert current == 0
                    wh.execute("""INSERT INTO observations
                                  SELECT table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality,
                                         ?::TIMESTAMP, NULL, 1 FROM read_parquet(?)""", [load_ts, str(work / "batch.parquet")])
            with timed(results, f"   {variant}: commit"):
                wh.commit()
            if variant == "today":
                with timed(results, "4a today: changes_at fetched whole into Python dicts"):
                    changes = (lambda rel: [dict(zip([d[0] for d in rel.description], r)) for r in rel.fetchall()])(
                        wh.execute(read_sql("queries/changes_at"), {"load_ts": load_ts}))
                results["4a rows fetched"] = len(changes)
                results["4a RSS after (MB)"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                del changes
                with timed(results, "4  proposed: counts by change in SQL + 50 example rows"):
                    query = read_sql("queries/changes_at").rstrip().rstrip(";")
                    wh.execute(f"SELECT change, count(*) FROM ({query}) GROUP BY change", {"load_ts": load_ts}).fetchall()
                    wh.execute(f"SELECT * FROM ({query}) LIMIT 50", {"load_ts": load_ts}).fetchall()
            wh.close()
        results["rows"] = rows
        print(json.dumps(results))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
