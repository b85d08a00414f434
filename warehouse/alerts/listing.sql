-- Alerts for `exportwatch alerts`, newest first. metric_value is in the unit of its metric
-- (yoy_pct/mom_pct: %, index_2021: 2021 = 100).
SELECT a.alert_id, a.rule, c.iso2 AS country, a.flow, strftime(a.month, '%Y-%m') AS month, a.kind,
       a.metric, round(a.metric_value, 1) AS metric_value, a.threshold, a.value_eur, a.raised_at, a.delivered_at, a.attempts, a.last_error
FROM alerts AS a
LEFT JOIN countries AS c USING (country_code)
WHERE $status = 'all' OR ($status = 'pending') = (a.delivered_at IS NULL)
ORDER BY a.alert_id DESC
LIMIT $limit;
