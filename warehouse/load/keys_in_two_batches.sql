-- Does a key come in two of one run's Parquet batches ($paths)? Staging refused a key twice within
-- one. Compared by hash: a collision answers yes, and the batches then take the comparing way,
-- which is right either way.
SELECT EXISTS (
    SELECT 1
    FROM read_parquet($paths)
    GROUP BY hash(table_code, country_code, goods_code, month, measure)
    HAVING count(*) > 1
);
