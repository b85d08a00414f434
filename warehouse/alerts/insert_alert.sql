-- One new alert, undelivered. Columns named, so a migration that adds one does not shift the others.
INSERT INTO alerts (
    alert_id, rule, country_code, flow, month, metric, metric_value, threshold, value_eur, previous_value_eur, kind,
    raised_at, delivered_at, attempts, last_error, delivery_claimed_until
)
VALUES (
    $alert_id, $rule, $country_code, $flow, $month, $metric, $metric_value, $threshold, $value_eur, $previous_value_eur, $kind,
    $raised_at, NULL, 0, NULL, NULL
)
