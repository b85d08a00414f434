-- One priority goods alert series as known at $as_of: one good ($hs6), the sum of one CHPL tier
-- ($tier), or of all goods (both NULL); per month when its goods were first loaded and last changed.
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
history AS (
    SELECT o.month, min(o.valid_from) AS first_loaded_at, max(o.valid_from) AS last_loaded_at
    FROM observations AS o
    JOIN priority_goods AS g ON o.goods_code = 'WA' || g.hs6
    WHERE o.country_code = $country_code
      AND o.measure = $measure
      AND o.valid_from <= $as_of
      AND (g.hs6 = $hs6 OR ($hs6 IS NULL AND g.tier = coalesce($tier, g.tier)))
    GROUP BY o.month
)
SELECT
    s.month,
    s.value_eur,
    s.yoy_pct,
    100 * (s.value_eur - month_before.value_eur) / nullif(month_before.value_eur, 0) AS mom_pct,
    h.first_loaded_at,
    h.last_loaded_at,
    s.index_2021
FROM series AS s
JOIN history AS h USING (month)
LEFT JOIN series AS month_before ON month_before.month = s.month - INTERVAL 1 MONTH
ORDER BY s.month;
