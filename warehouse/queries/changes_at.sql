-- What one load changed, as a sample for reports: up to $limit revised keys (with the previous value)
-- and the $limit latest new keys. The counts come from the load itself; this never returns a
-- backfill's millions of rows.
SELECT
    new.table_code,
    new.country_code,
    new.goods_code,
    c.iso2 AS country_iso2,
    new.measure,
    new.month,
    old.value AS old_value,
    new.value AS new_value,
    CASE WHEN old.value IS NULL AND old.symbol IS NULL AND old.valid_from IS NULL THEN 'new' ELSE 'revised' END AS change
FROM observations AS new
LEFT JOIN observations AS old
  ON old.table_code = new.table_code
 AND old.country_code = new.country_code
 AND old.goods_code = new.goods_code
 AND old.measure = new.measure
 AND old.month = new.month
 AND old.valid_to = new.valid_from
LEFT JOIN countries AS c ON c.country_code = new.country_code
WHERE new.valid_from = $load_ts
QUALIFY row_number() OVER (PARTITION BY change ORDER BY new.month DESC, new.country_code, new.goods_code, new.measure) <= $limit
ORDER BY new.country_code, new.measure, new.month;
