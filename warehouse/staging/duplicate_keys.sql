-- Data test: one value per key. Returns the first rows of repeated keys, the year and month as
-- delivered (the contract holds here, so they are "2024" and "MONAT03").
-- Keys are grouped by their 64-bit hash first (several times faster than by the four columns at
-- millions of rows); only rows whose hash repeats are grouped by the columns, so a collision is
-- never reported as a repeated key.
WITH keyed AS (
    SELECT rowid AS row_index, country_code, goods_code, "month", measure,
           hash(country_code, goods_code, "month", measure) AS key_hash
    FROM staged_flat_observations
),
repeated AS (
    SELECT key_hash FROM keyed GROUP BY key_hash HAVING count(*) > 1
)
SELECT
    min(row_index) AS row_index,
    country_code,
    goods_code,
    CAST(year("month") AS VARCHAR) AS year,
    'MONAT' || lpad(CAST(month("month") AS VARCHAR), 2, '0') AS month_code,
    measure,
    count(*) AS times
FROM keyed SEMI JOIN repeated USING (key_hash)
GROUP BY country_code, goods_code, "month", measure
HAVING count(*) > 1
ORDER BY row_index
LIMIT 1000;
