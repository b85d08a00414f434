-- Data test: at most one current row per key. Returns the violating keys. Only keys this load
-- ($load_ts) gave a current row can break it (every other key held when it was last written), so
-- only they are looked at: the rows it inserted, once more for each that has an older current row.
WITH inserted AS (
    SELECT table_code, country_code, goods_code, month, measure
    FROM observations
    WHERE valid_from = $load_ts AND valid_to IS NULL
),
older AS (
    SELECT table_code, country_code, goods_code, month, measure
    FROM observations
    WHERE valid_to IS NULL AND valid_from <> $load_ts
      AND table_code IN (SELECT DISTINCT table_code FROM inserted)
)
SELECT table_code, country_code, goods_code, month, measure, count(*) AS current_rows
FROM (
    SELECT * FROM inserted
    UNION ALL
    SELECT * FROM inserted SEMI JOIN older USING (table_code, country_code, goods_code, month, measure)
)
GROUP BY ALL
HAVING count(*) > 1;
