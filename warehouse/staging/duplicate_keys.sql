-- Data test: one value per key. Returns the first rows of repeated keys.
SELECT min(row_index) AS row_index, country_code, goods_code, year, month_code, measure, count(*) AS times
FROM flat_file_rows
GROUP BY country_code, goods_code, year, month_code, measure
HAVING count(*) > 1
ORDER BY row_index
LIMIT 1000;
