-- What one load changed, as a sample for reports: up to $limit revised keys (with the previous value)
-- and the $limit latest newly published keys. A value replacing the placeholder ... is new (its
-- first publication), not revised; a change of the quality flag alone is neither. The counts come
-- from change_counts.sql; this never returns a backfill's millions of rows, and never joins them
-- either: the rows the load closed are few, and each sample is a top-N of the rows it opened.
-- `opened` is NOT MATERIALIZED: used twice, DuckDB would otherwise copy every row the load opened
-- (20M rows of a first load: 2.7-3.0 s, against 0.45-0.48 s this way).
WITH closed AS (
    SELECT table_code, country_code, goods_code, measure, month, value AS old_value, symbol AS old_symbol, unit AS old_unit
    FROM observations
    WHERE valid_to = $load_ts
),
opened AS NOT MATERIALIZED (
    SELECT table_code, country_code, goods_code, measure, month, value AS new_value, symbol AS new_symbol, unit AS new_unit
    FROM observations
    WHERE valid_from = $load_ts
),
revised AS (
    SELECT opened.*, closed.old_value, 'revised' AS change
    FROM opened
    JOIN closed USING (table_code, country_code, goods_code, measure, month)
    WHERE closed.old_symbol IS DISTINCT FROM '...'
      AND (old_value IS DISTINCT FROM new_value OR old_symbol IS DISTINCT FROM new_symbol OR old_unit IS DISTINCT FROM new_unit)
    ORDER BY month DESC, country_code, goods_code, measure
    LIMIT $limit
),
new AS (
    SELECT opened.*, CAST(NULL AS DECIMAL(38, 3)) AS old_value, 'new' AS change
    FROM opened
    ANTI JOIN (SELECT * FROM closed WHERE old_symbol IS DISTINCT FROM '...') AS published USING (table_code, country_code, goods_code, measure, month)
    WHERE opened.new_symbol IS DISTINCT FROM '...'
    ORDER BY month DESC, country_code, goods_code, measure
    LIMIT $limit
)
SELECT
    s.table_code,
    s.country_code,
    s.goods_code,
    c.iso2 AS country_iso2,
    s.measure,
    s.month,
    s.old_value,
    s.new_value,
    s.change
FROM (SELECT * FROM revised UNION ALL SELECT * FROM new) AS s
LEFT JOIN countries AS c ON c.country_code = s.country_code
ORDER BY s.country_code, s.measure, s.month;
