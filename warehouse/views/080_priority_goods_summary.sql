-- The priority goods summed per partner country, flow, CHPL tier and month (tier 'all': every good
-- of the list), as known at timestamp ts. A sum is NULL when any good that existed in that month
-- has no number (a month not yet published, a secret value): a partial sum would look like a fall.
-- Goods that did not exist yet (HS 2022 codes before 2022) are left out of value_eur, so the sums
-- have a break at January 2022. The comparisons compare like with like across that break:
-- index_2021 relates the goods that existed in 2021 to their own 2021 monthly average (12 complete
-- months), and yoy_pct the goods that existed a year earlier to that month's sum.
CREATE OR REPLACE MACRO priority_goods_summary_as_of(ts) AS TABLE
WITH goods AS (
    SELECT
        t.*,
        g.exists_since IS NULL OR t.month >= g.exists_since AS applicable,
        g.exists_since IS NULL OR g.exists_since <= DATE '2021-01-01' AS in_2021,
        g.exists_since IS NULL OR g.exists_since <= t.month - INTERVAL 1 YEAR AS a_year_earlier
    FROM priority_goods_trade_as_of(ts) AS t
    JOIN priority_goods AS g USING (hs6)
),
sums AS (
    SELECT
        country_code,
        flow,
        coalesce(tier, 'all') AS tier,
        month,
        CASE WHEN count(*) FILTER (WHERE applicable AND value_eur IS NULL) = 0 THEN sum(value_eur) END AS value_eur,
        CASE WHEN count(*) FILTER (WHERE in_2021 AND value_eur IS NULL) = 0 THEN sum(value_eur) FILTER (WHERE in_2021) END
            AS value_of_2021_goods,
        CASE WHEN count(*) FILTER (WHERE a_year_earlier AND value_eur IS NULL) = 0 THEN sum(value_eur) FILTER (WHERE a_year_earlier) END
            AS value_of_goods_a_year_earlier
    FROM goods
    GROUP BY GROUPING SETS ((country_code, flow, tier, month), (country_code, flow, month))
),
base_2021 AS (
    SELECT country_code, flow, tier, avg(value_eur) AS monthly_average
    FROM sums
    WHERE month >= DATE '2021-01-01' AND month < DATE '2022-01-01'
    GROUP BY ALL
    HAVING count(value_eur) = 12
)
SELECT
    c.iso2 AS country_iso2,
    s.flow,
    s.tier,
    s.month,
    s.value_eur,
    100 * (s.value_of_goods_a_year_earlier - year_before.value_eur) / nullif(year_before.value_eur, 0) AS yoy_pct,
    100 * s.value_of_2021_goods / nullif(b.monthly_average, 0) AS index_2021
FROM sums AS s
LEFT JOIN countries AS c USING (country_code)
LEFT JOIN base_2021 AS b USING (country_code, flow, tier)
LEFT JOIN sums AS year_before
       ON year_before.country_code = s.country_code
      AND year_before.flow = s.flow
      AND year_before.tier = s.tier
      AND year_before.month = s.month - INTERVAL 1 YEAR;


CREATE OR REPLACE VIEW priority_goods_summary AS
SELECT * FROM priority_goods_summary_as_of(TIMESTAMP 'infinity');

COMMENT ON VIEW priority_goods_summary IS 'The Common High Priority List goods summed per partner country, flow, tier and month (tier ''all'' = the whole list), current values, indexed on 2021 (= 100). For an earlier state use priority_goods_summary_as_of(ts).';
COMMENT ON COLUMN priority_goods_summary.country_iso2 IS 'ISO 3166-1 alpha-2 code of the partner country, e.g. KG.';
COMMENT ON COLUMN priority_goods_summary.flow IS 'export (German exports to the country) or import (German imports from it).';
COMMENT ON COLUMN priority_goods_summary.tier IS 'CHPL tier (1, 2, 3.A, 3.B, 4.A, 4.B), or all for every good of the list.';
COMMENT ON COLUMN priority_goods_summary.month IS 'Reference month, first day.';
COMMENT ON COLUMN priority_goods_summary.value_eur IS 'Sum of the goods'' values in EUR; NULL when a good that existed that month has no number. Goods not yet existing (HS 2022 codes before 2022) are left out.';
COMMENT ON COLUMN priority_goods_summary.yoy_pct IS 'Change on the same month a year earlier, in percent, of the goods that existed then (HS 2022 codes count from 2023 on).';
COMMENT ON COLUMN priority_goods_summary.index_2021 IS '100 * the sum of the goods that existed in 2021 / their 2021 monthly average (HS 2022 codes are not in it); NULL unless all 12 months of 2021 have a sum and their average is not 0.';
