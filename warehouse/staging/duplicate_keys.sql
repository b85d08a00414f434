-- Data test: one value per key. Returns the first rows of repeated keys, the year and month as
-- delivered (the contract holds here, so they are "2024" and "MONAT03").
SELECT
    min(rowid) AS row_index,
    country_code,
    goods_code,
    CAST(year("month") AS VARCHAR) AS year,
    'MONAT' || lpad(CAST(month("month") AS VARCHAR), 2, '0') AS month_code,
    measure,
    count(*) AS times
FROM staged_flat_observations
GROUP BY country_code, goods_code, "month", measure
HAVING count(*) > 1
ORDER BY row_index
LIMIT 1000;
