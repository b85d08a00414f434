-- One alert series with, per month, when it was first loaded and when last changed.
SELECT
    t.month,
    t.value_eur,
    t.yoy_pct,
    t.mom_pct,
    h.first_loaded_at,
    h.last_loaded_at,
    r.index_2021
FROM monthly_trade AS t
JOIN (
    SELECT month, min(valid_from) AS first_loaded_at, max(valid_from) AS last_loaded_at
    FROM observations
    WHERE country_code = $country_code AND measure = $measure AND goods_code = ''
    GROUP BY month
) AS h USING (month)
LEFT JOIN route_comparison AS r
       ON r.table_code = t.table_code AND r.country_code = t.country_code AND r.flow = t.flow AND r.month = t.month
WHERE t.country_code = $country_code AND t.flow = $flow
ORDER BY t.month;
