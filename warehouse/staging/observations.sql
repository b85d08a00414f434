-- Staging, step 3, the one pass over the file: typed observations, only codes and values. Numbers
-- become exact DECIMALs in the base unit (thousands of EUR -> EUR, slots factor and base_unit are
-- CASE expressions over the measures), "-" becomes 0, the no-value symbols become NULL and are kept.
-- `contract_ok`: the FlatFileRows contract as one predicate, slot contract, and the layout's variable
-- codes; rows that break it get no month or value, and are reported from the text.
-- The table's rowid is the row's position in the file (insertion order is kept).
-- A value of at most 15 characters (every real one) is parsed as DECIMAL(18, 3) and then widened:
-- DuckDB 1.5 parses text into DECIMAL(38, 3) about 100 times slower (7.5 s against 0.07 s for 1M
-- values), which was most of this read; longer values (up to 30 digits) take that slow way.
CREATE OR REPLACE TABLE staged_flat_observations AS
WITH checked AS (
    SELECT *, coalesce({{contract}} AND variables_ok, false) AS contract_ok
    FROM flat_file_rows
)
SELECT
    country_code,
    goods_code,
    CASE WHEN contract_ok THEN make_date(CAST(year AS INTEGER), CAST(right(month_code, 2) AS INTEGER), 1) END AS month,
    measure,
    CASE
        WHEN NOT contract_ok THEN NULL
        WHEN "value" = '-' THEN CAST(0 AS DECIMAL(38, 3))
        WHEN "value" IN ('.', '...', '/', 'x') THEN NULL
        WHEN length("value") <= 15 THEN CAST(CAST(replace("value", ',', '.') AS DECIMAL(18, 3)) AS DECIMAL(38, 3)) * {{factor}}
        ELSE CAST(replace("value", ',', '.') AS DECIMAL(38, 3)) * {{factor}}
    END AS "value",
    {{base_unit}} AS unit,
    CASE WHEN "value" IN ('-', '.', '...', '/', 'x') THEN "value" END AS symbol,
    nullif(quality, '') AS quality,
    contract_ok
FROM checked;
