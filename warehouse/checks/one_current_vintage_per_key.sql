-- Data test: at most one current row per key. Returns the violating keys.
SELECT table_code, country_code, goods_code, month, measure, count(*) AS current_rows
FROM observations
WHERE valid_to IS NULL
GROUP BY ALL
HAVING count(*) > 1;
