-- The report's CHPL table: the $limit goods x countries whose exports in the 12 months up to the
-- latest month with values grew most (in EUR) on 2021. Both periods need all 12 months with a value.
WITH latest AS (
    SELECT max(month) AS month FROM priority_goods_trade WHERE flow = 'export' AND value_eur IS NOT NULL
),
periods AS (
    SELECT
        t.country_code, t.country_iso2, t.country_name, t.hs6, t.tier,
        sum(t.value_eur) FILTER (WHERE year(t.month) = 2021) AS value_2021,
        count(t.value_eur) FILTER (WHERE year(t.month) = 2021) AS months_2021,
        sum(t.value_eur) FILTER (WHERE t.month > l.month - INTERVAL 12 MONTH AND t.month <= l.month) AS value_last_12,
        count(t.value_eur) FILTER (WHERE t.month > l.month - INTERVAL 12 MONTH AND t.month <= l.month) AS months_last_12,
        any_value(l.month) AS latest_month
    FROM priority_goods_trade AS t, latest AS l
    WHERE t.flow = 'export'
    GROUP BY ALL
)
SELECT
    p.country_code, p.country_iso2, p.country_name, p.hs6, p.tier, g.description, p.latest_month,
    p.value_2021, p.value_last_12,
    p.value_last_12 - p.value_2021 AS increase_eur,
    100 * p.value_last_12 / nullif(p.value_2021, 0) AS index_2021
FROM periods AS p
JOIN priority_goods AS g USING (hs6)
WHERE p.months_2021 = 12 AND p.months_last_12 = 12
ORDER BY increase_eur DESC, p.country_code, p.hs6
LIMIT $limit;
