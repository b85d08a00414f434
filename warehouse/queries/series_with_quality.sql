-- One series of monthly_trade, oldest month first, with its quality flag and last revision.
SELECT month, value_eur, yoy_pct, mom_pct, quality, first_published_at, last_revised_at
FROM monthly_trade
WHERE table_code = $table_code AND country_code = $country_code AND flow = $flow
ORDER BY month;
