-- What one load changed, as a sample for reports: up to $limit revised keys (with the previous value)
-- and the $limit latest new keys. The counts come from the load itself; this never returns a
-- backfill's millions of rows, and never joins them either: the rows the load closed are few,
-- and each sample is a top-N of the rows it opened.
WITH closed AS (
    SELECT table_code, country_code, goods_code, measure, month, value AS old_value
    FROM observations
    WHERE valid_to = $load_ts
),
opened AS (
    SELECT table_code, country_code, goods_code, measure, month, value AS new_value
    FROM observations
    WHERE valid_from = $load_ts
),
revised AS (
    SELECT opened.*, closed.old_value, 'revised' AS change
    FROM opened
    JOIN closed USING (table_code, country_code, goods_code, measure, month)
    ORDER BY month DESC, country_code, goods_code, measure
    LIMIT $limit
),
new AS (
    SELECT opened.*, CAST(NULL AS DECIMAL(38, 3)) AS old_value, 'new' AS change
    FROM opened
    ANTI JOIN closed USING (table_code, country_code, goods_code, measure, month)
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
