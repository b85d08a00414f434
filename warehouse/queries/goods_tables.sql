-- The goods tables in the warehouse: classification, countries, goods codes and months covered.
SELECT table_code, goods_variable,
       count(DISTINCT country_code) AS countries,
       count(DISTINCT goods_code) AS goods,
       min(month) AS first_month,
       max(month) AS last_month
FROM monthly_trade_by_goods
GROUP BY ALL
ORDER BY table_code, goods_variable;
