-- The priority goods (CHPL) by partner country as known at timestamp ts: every 6-digit goods value
-- whose key is WA + a code of priority_goods (e.g. WA854231, from a table such as 51000-0012 loaded
-- through [priority_goods]), with the change on a year earlier and an index on the same country's,
-- flow's and good's 2021 monthly average (= 100). Months before a code existed (HS 2022 codes
-- before 2022) are not applicable: value NULL whatever GENESIS delivered, never 0. Only a complete
-- 2021 (12 months with a value) is a base; otherwise, or when its average is 0, index_2021 is NULL.
CREATE OR REPLACE MACRO priority_goods_trade_as_of(ts) AS TABLE
WITH valid AS (
    SELECT
        o.table_code,
        o.country_code,
        o.measure,
        g.hs6,
        g.tier,
        o.month,
        CASE WHEN g.exists_since IS NULL OR o.month >= g.exists_since THEN o.value END AS value
    FROM observations AS o
    JOIN priority_goods AS g ON o.goods_code = 'WA' || g.hs6
    WHERE o.measure IN ('WERTA', 'WERTE')
      AND o.valid_from <= ts
      AND (o.valid_to IS NULL OR o.valid_to > ts)
),
base_2021 AS (
    SELECT table_code, country_code, measure, hs6, avg(value) AS monthly_average
    FROM valid
    WHERE month >= DATE '2021-01-01' AND month < DATE '2022-01-01'
    GROUP BY ALL
    HAVING count(value) = 12
)
SELECT
    v.table_code,
    v.country_code,
    c.iso2 AS country_iso2,
    c.name_en AS country_name,
    CASE v.measure WHEN 'WERTA' THEN 'export' ELSE 'import' END AS flow,
    v.hs6,
    v.tier,
    v.month,
    v.value AS value_eur,
    100 * (v.value - year_before.value) / nullif(year_before.value, 0) AS yoy_pct,
    100 * v.value / nullif(b.monthly_average, 0) AS index_2021
FROM valid AS v
LEFT JOIN countries AS c USING (country_code)
LEFT JOIN base_2021 AS b USING (table_code, country_code, measure, hs6)
LEFT JOIN valid AS year_before
       ON year_before.table_code = v.table_code
      AND year_before.country_code = v.country_code
      AND year_before.measure = v.measure
      AND year_before.hs6 = v.hs6
      AND year_before.month = v.month - INTERVAL 1 YEAR;

COMMENT ON MACRO TABLE priority_goods_trade_as_of IS 'priority_goods_trade as it was known at timestamp ts (UTC): SELECT * FROM priority_goods_trade_as_of(TIMESTAMP ''2025-06-01'').';

CREATE OR REPLACE VIEW priority_goods_trade AS
SELECT * FROM priority_goods_trade_as_of(TIMESTAMP 'infinity');

COMMENT ON VIEW priority_goods_trade IS 'German exports and imports of the Common High Priority List goods (see priority_goods) by partner country and month, current values, indexed on 2021 (= 100). For values as known at an earlier time use priority_goods_trade_as_of(ts).';
COMMENT ON COLUMN priority_goods_trade.table_code IS 'GENESIS table the value comes from, e.g. 51000-0012.';
COMMENT ON COLUMN priority_goods_trade.country_code IS 'Partner country as STLAH key, e.g. STLAH083.';
COMMENT ON COLUMN priority_goods_trade.country_iso2 IS 'ISO 3166-1 alpha-2 code of the partner country, e.g. KG.';
COMMENT ON COLUMN priority_goods_trade.country_name IS 'English name of the partner country as GENESIS labels it.';
COMMENT ON COLUMN priority_goods_trade.flow IS 'export (German exports to the country) or import (German imports from it).';
COMMENT ON COLUMN priority_goods_trade.hs6 IS 'HS 6-digit code of the good, derived from the GENESIS key (WA854231 -> 854231); see priority_goods.';
COMMENT ON COLUMN priority_goods_trade.tier IS 'CHPL tier of the good: 1, 2, 3.A, 3.B, 4.A or 4.B.';
COMMENT ON COLUMN priority_goods_trade.month IS 'Reference month, first day.';
COMMENT ON COLUMN priority_goods_trade.value_eur IS 'Value in EUR, current vintage. NULL when GENESIS gave no number, and before the code existed (HS 2022 codes before 2022: not applicable, not 0).';
COMMENT ON COLUMN priority_goods_trade.yoy_pct IS 'Change on the same month a year earlier, in percent; NULL without a non-zero value a year earlier.';
COMMENT ON COLUMN priority_goods_trade.index_2021 IS '100 * value_eur / the 2021 monthly average of the same country, flow and good; NULL unless all 12 months of 2021 have a value and their average is not 0.';
