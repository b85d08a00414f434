-- One alert series: the months with a published value, each with when it was first published and
-- when its value last changed (its first publication or a revision). A change of the quality flag
-- alone is no change here, so it never raises an alert; a placeholder month (...) is not yet in
-- the series.
SELECT
    t.month,
    t.value_eur,
    t.yoy_pct,
    t.mom_pct,
    t.first_published_at,
    h.value_changed_at,
    r.index_2021
FROM monthly_trade AS t
JOIN (
    SELECT month, max(valid_from) FILTER (WHERE value_changed) AS value_changed_at
    FROM (
        SELECT month, valid_from,
               value IS DISTINCT FROM lag(value) OVER key_history
                   OR symbol IS DISTINCT FROM lag(symbol) OVER key_history
                   OR unit IS DISTINCT FROM lag(unit) OVER key_history AS value_changed
        FROM observations
        WHERE country_code = $country_code AND measure = $measure AND goods_code = ''
        WINDOW key_history AS (PARTITION BY table_code, month ORDER BY valid_from)
    )
    GROUP BY month
) AS h USING (month)
LEFT JOIN route_comparison AS r
       ON r.table_code = t.table_code AND r.country_code = t.country_code AND r.flow = t.flow AND r.month = t.month
WHERE t.country_code = $country_code AND t.flow = $flow AND t.first_published_at IS NOT NULL
ORDER BY t.month;
