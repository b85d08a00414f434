-- One month of one series from monthly_trade.
SELECT month, value_eur, yoy_pct
FROM monthly_trade
WHERE country_iso2 = $iso2 AND flow = $flow AND month = $month;
