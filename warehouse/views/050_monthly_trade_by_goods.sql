-- Current values by goods: the goods tables (e.g. 51000-0012 by 4-digit goods and country, loaded
-- through [[tables]]) with the change on the same month a year earlier. Country totals
-- (goods_code = '') are in monthly_trade.
CREATE OR REPLACE VIEW monthly_trade_by_goods AS
WITH current_goods AS (
    SELECT *
    FROM observations
    WHERE valid_to IS NULL
      AND goods_code <> ''
      AND measure IN ('WERTA', 'WERTE')
)
SELECT
    v.table_code,
    v.country_code,
    c.iso2 AS country_iso2,
    c.name_en AS country_name,
    CASE v.measure WHEN 'WERTA' THEN 'export' ELSE 'import' END AS flow,
    v.goods_variable,
    v.goods_code,
    v.month,
    v.value AS value_eur,
    v.quality,
    100 * (v.value - year_before.value) / nullif(year_before.value, 0) AS yoy_pct
FROM current_goods AS v
LEFT JOIN countries AS c USING (country_code)
LEFT JOIN current_goods AS year_before
       ON year_before.table_code = v.table_code
      AND year_before.country_code = v.country_code
      AND year_before.goods_code = v.goods_code
      AND year_before.measure = v.measure
      AND year_before.month = v.month - INTERVAL 1 YEAR;

COMMENT ON VIEW monthly_trade_by_goods IS 'Monthly German exports and imports in EUR by partner country and goods (tables configured in [[tables]], e.g. 51000-0012), current values, with year-on-year change.';
COMMENT ON COLUMN monthly_trade_by_goods.table_code IS 'GENESIS table the value comes from, e.g. 51000-0012.';
COMMENT ON COLUMN monthly_trade_by_goods.country_code IS 'Partner country as STLAH key, e.g. STLAH075.';
COMMENT ON COLUMN monthly_trade_by_goods.country_iso2 IS 'ISO 3166-1 alpha-2 code of the partner country, e.g. RU.';
COMMENT ON COLUMN monthly_trade_by_goods.country_name IS 'English name of the partner country as GENESIS labels it.';
COMMENT ON COLUMN monthly_trade_by_goods.flow IS 'export (German exports to the country) or import (German imports from it).';
COMMENT ON COLUMN monthly_trade_by_goods.goods_variable IS 'Goods classification of goods_code, e.g. WAM4 (4-digit goods).';
COMMENT ON COLUMN monthly_trade_by_goods.goods_code IS 'Commodity code as GENESIS delivers it (text, leading zeros kept), e.g. WA8703.';
COMMENT ON COLUMN monthly_trade_by_goods.month IS 'Reference month, first day.';
COMMENT ON COLUMN monthly_trade_by_goods.value_eur IS 'Value in EUR (GENESIS delivers thousands; converted exactly). NULL when GENESIS gave no number.';
COMMENT ON COLUMN monthly_trade_by_goods.quality IS 'GENESIS quality flag, e.g. p provisional, e final.';
COMMENT ON COLUMN monthly_trade_by_goods.yoy_pct IS 'Change on the same month a year earlier, in percent; NULL without a value a year earlier.';
