-- Per series: the latest month, its value, and the last revision.
SELECT
    country_iso2,
    country_name,
    flow,
    max(month) AS latest_month,
    arg_max(value_eur, month) AS latest_value_eur,
    arg_max(quality, month) AS latest_quality,
    count(*) AS months,
    max(last_revised_at) AS last_revision
FROM monthly_trade
GROUP BY ALL
ORDER BY country_iso2, flow;
