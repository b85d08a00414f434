-- One priority goods alert series as known at $as_of: one good ($hs6), the sum of one CHPL tier
-- ($tier), or of all goods (both NULL); per month when it was first published and when its value last changed.
WITH series AS (
    SELECT month, value_eur, yoy_pct, index_2021
    FROM priority_goods_summary_as_of($as_of)
    WHERE $hs6 IS NULL
      AND country_iso2 = (SELECT iso2 FROM countries WHERE country_code = $country_code)
      AND flow = $flow
      AND tier = coalesce($tier, 'all')
    UNION ALL
    SELECT month, value_eur, yoy_pct, index_2021
    FROM priority_goods_trade_as_of($as_of)
    WHERE $hs6 IS NOT NULL AND country_code = $country_code AND flow = $flow AND hs6 = $hs6
),
steps AS (
    -- every vintage of the series' goods beside the one it replaced
    SELECT o.goods_code, o.month, o.valid_from,
           o.symbol IS DISTINCT FROM '...' AS published,
           o.value IS DISTINCT FROM lag(o.value) OVER key_history
               OR o.symbol IS DISTINCT FROM lag(o.symbol) OVER key_history
               OR o.unit IS DISTINCT FROM lag(o.unit) OVER key_history AS value_changed
    FROM observations AS o
    JOIN priority_goods AS g ON o.goods_code = 'WA' || g.hs6
    WHERE o.country_code = $country_code
      AND o.measure = $measure
      AND o.valid_from <= $as_of
      AND (g.hs6 = $hs6 OR ($hs6 IS NULL AND g.tier = coalesce($tier, g.tier)))
    WINDOW key_history AS (PARTITION BY o.goods_code, o.month ORDER BY o.valid_from)
),
history AS (
    -- as for the country totals (series.sql): the placeholder ... is no publication and a change of
    -- the quality flag alone no change; a sum is published once its last good is
    SELECT month, max(first_published_at) AS first_published_at, max(value_changed_at) AS value_changed_at
    FROM (
        SELECT goods_code, month,
               min(valid_from) FILTER (WHERE published) AS first_published_at,
               max(valid_from) FILTER (WHERE value_changed) AS value_changed_at
        FROM steps
        GROUP BY goods_code, month
    )
    GROUP BY month
)
SELECT
    s.month,
    s.value_eur,
    s.yoy_pct,
    100 * (s.value_eur - month_before.value_eur) / nullif(month_before.value_eur, 0) AS mom_pct,
    h.first_published_at,
    h.value_changed_at,
    s.index_2021
FROM series AS s
JOIN history AS h USING (month)
LEFT JOIN series AS month_before ON month_before.month = s.month - INTERVAL 1 MONTH
WHERE s.value_eur IS NOT NULL AND h.first_published_at IS NOT NULL
ORDER BY s.month;
