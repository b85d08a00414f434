-- Per month, the latest alert kind of a rule's series: crossed/revised/historical = active.
SELECT month, arg_max(kind, alert_id) AS kind
FROM alerts
WHERE rule = $rule AND country_code = $country_code AND flow = $flow
GROUP BY month;
