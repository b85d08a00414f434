-- One alert series with, per month, when it was first loaded and when last changed.
SELECT
    t.month,
    t.value_eur,
    t.yoy_pct,
    t.mom_pct,
    h.first_loaded_at,
    h.last_loaded_at
FROM monthly_trade AS t
JOIN (
    SELECT month, min(valid_from) AS first_loaded_at, max(valid_from) AS last_loaded_at
    FROM observations
    WHERE country_code = $country_code AND measure = $measure AND goods_code = ''
    GROUP BY month
) AS h USING (month)
WHERE t.country_code = $country_code AND t.flow = $flow
ORDER BY t.month;
