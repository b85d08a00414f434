-- What one load did, counted per value it opened: a first publication (a value or substantive symbol
-- where there was nothing or the placeholder ...), a revision (a published value, symbol or unit
-- changed), or a change of the quality flag alone. The rows a load closes are few, so the join
-- stays small even for a backfill.
WITH closed AS (
    SELECT table_code, country_code, goods_code, measure, month, value, symbol, unit, quality
    FROM observations
    WHERE valid_to = $load_ts
),
steps AS (
    SELECT
        o.symbol IS DISTINCT FROM '...' AND (c.month IS NULL OR c.symbol = '...') AS published,
        c.month IS NOT NULL AND c.symbol IS DISTINCT FROM '...' AS was_published,
        o.value IS DISTINCT FROM c.value OR o.symbol IS DISTINCT FROM c.symbol OR o.unit IS DISTINCT FROM c.unit AS value_changed
    FROM observations AS o
    LEFT JOIN closed AS c USING (table_code, country_code, goods_code, measure, month)
    WHERE o.valid_from = $load_ts
)
SELECT
    count(*) FILTER (WHERE published) AS published,
    count(*) FILTER (WHERE was_published AND value_changed) AS revised,
    count(*) FILTER (WHERE was_published AND NOT value_changed) AS quality_changed
FROM steps;
