-- The latest $months months of one country (both flows), newest first, with quality flags and how
-- often each value was revised.
WITH series AS (
    SELECT *
    FROM monthly_trade
    WHERE table_code = $table_code AND country_code = $country_code
),
latest AS (
    SELECT DISTINCT month FROM series ORDER BY month DESC LIMIT $months
),
revision_counts AS (
    SELECT month, flow, count(*) AS revisions
    FROM revisions
    WHERE table_code = $table_code AND country_code = $country_code AND goods_code = '' AND measure IN ('WERTA', 'WERTE')
    GROUP BY ALL
)
SELECT s.month, s.flow, s.value_eur, s.yoy_pct, s.mom_pct, s.quality,
       coalesce(r.revisions, 0) AS revisions, s.first_published_at, s.last_revised_at
FROM series AS s
JOIN latest USING (month)
LEFT JOIN revision_counts AS r USING (month, flow)
ORDER BY s.month DESC, s.flow;
