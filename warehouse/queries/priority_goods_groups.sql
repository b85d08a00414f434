-- The report's CHPL chart: export tier sums (and 'all') to the countries of $sanctioned (Russia,
-- Belarus) against those to the $others, per month, each indexed on its own 2021 monthly average
-- (= 100; NULL without 12 complete months). A group's month is NULL when a country's sum is.
WITH grouped AS (
    SELECT
        CASE WHEN list_contains($sanctioned, country_iso2) THEN 'sanctioned' ELSE 'others' END AS country_group,
        tier,
        month,
        CASE WHEN count(*) = count(value_eur) THEN sum(value_eur) END AS value_eur
    FROM priority_goods_summary
    WHERE flow = 'export' AND (list_contains($sanctioned, country_iso2) OR list_contains($others, country_iso2))
    GROUP BY ALL
),
base_2021 AS (
    SELECT country_group, tier, avg(value_eur) AS monthly_average
    FROM grouped
    WHERE month >= DATE '2021-01-01' AND month < DATE '2022-01-01'
    GROUP BY ALL
    HAVING count(value_eur) = 12
)
SELECT g.country_group, g.tier, g.month, g.value_eur, 100 * g.value_eur / nullif(b.monthly_average, 0) AS index_2021
FROM grouped AS g
LEFT JOIN base_2021 AS b USING (country_group, tier)
ORDER BY g.country_group, g.tier, g.month;
