-- The latest month with goods values for one country and flow, and how many goods codes it has.
SELECT month, count(*) AS goods
FROM monthly_trade_by_goods
WHERE country_code = $country_code AND flow = $flow
GROUP BY month
ORDER BY month DESC
LIMIT 1;
