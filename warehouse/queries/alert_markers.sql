-- Months of one series with an active alert: per rule and month the latest alert, if its kind is
-- crossed, revised or historical (not cleared by a later revision).
WITH latest AS (
    SELECT rule, month,
           arg_max(kind, alert_id) AS kind,
           arg_max(metric, alert_id) AS metric,
           arg_max(metric_value, alert_id) AS metric_value,
           arg_max(threshold, alert_id) AS threshold
    FROM alerts
    WHERE country_code = $country_code AND flow = $flow
    GROUP BY rule, month
)
SELECT month, rule, kind, metric, metric_value, threshold
FROM latest
WHERE kind IN ('crossed', 'revised', 'historical')
ORDER BY month, rule;
