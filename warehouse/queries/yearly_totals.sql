-- Yearly totals of one series (complete years only).
SELECT year(month) AS year, sum(value_eur) AS value_eur, count(*) AS months
FROM monthly_trade
WHERE country_iso2 = $iso2 AND flow = $flow
GROUP BY ALL
HAVING count(*) = 12
ORDER BY year;
