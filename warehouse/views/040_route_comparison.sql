-- The watchlist side by side: every country total of monthly_trade (both flows) with its change on
-- a year earlier and an index on its own 2021 monthly average (= 100), so a market that collapses
-- and one that surges can be read on one scale. Only a complete 2021 (12 months with a value) is a
-- base; otherwise index_2021 is NULL.
CREATE OR REPLACE VIEW route_comparison AS
WITH base_2021 AS (
    SELECT table_code, country_code, flow, avg(value_eur) AS monthly_average
    FROM monthly_trade
    WHERE month >= DATE '2021-01-01' AND month < DATE '2022-01-01'
    GROUP BY ALL
    HAVING count(value_eur) = 12
)
SELECT
    m.table_code,
    m.country_code,
    m.country_iso2,
    m.country_name,
    m.flow,
    m.month,
    m.value_eur,
    m.yoy_pct,
    100 * m.value_eur / nullif(b.monthly_average, 0) AS index_2021
FROM monthly_trade AS m
LEFT JOIN base_2021 AS b USING (table_code, country_code, flow);

COMMENT ON VIEW route_comparison IS 'Country totals of monthly_trade side by side, indexed on each series'' 2021 monthly average (= 100): e.g. exports to Russia against its neighbours. One row per table, country, flow and month.';
COMMENT ON COLUMN route_comparison.table_code IS 'GENESIS table the value comes from, e.g. 51000-0004.';
COMMENT ON COLUMN route_comparison.country_code IS 'Partner country as STLAH key, e.g. STLAH075.';
COMMENT ON COLUMN route_comparison.country_iso2 IS 'ISO 3166-1 alpha-2 code of the partner country, e.g. RU.';
COMMENT ON COLUMN route_comparison.country_name IS 'English name of the partner country as GENESIS labels it.';
COMMENT ON COLUMN route_comparison.flow IS 'export (German exports to the country) or import (German imports from it).';
COMMENT ON COLUMN route_comparison.month IS 'Reference month, first day.';
COMMENT ON COLUMN route_comparison.value_eur IS 'Value in EUR, current vintage. NULL when GENESIS gave no number.';
COMMENT ON COLUMN route_comparison.yoy_pct IS 'Change on the same month a year earlier, in percent.';
COMMENT ON COLUMN route_comparison.index_2021 IS '100 * value_eur / the average monthly value of the same country and flow in 2021; NULL unless all 12 months of 2021 have a value.';
