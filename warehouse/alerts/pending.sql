-- Alerts some channel has not received yet, oldest first.
SELECT a.*, c.iso2 AS country_iso2, c.name_en AS country_name
FROM alerts AS a
LEFT JOIN countries AS c USING (country_code)
WHERE a.delivered_at IS NULL
ORDER BY a.alert_id;
