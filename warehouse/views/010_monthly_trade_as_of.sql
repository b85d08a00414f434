-- The series as known at timestamp ts: for every (table, country, flow, month) the vintage that
-- was valid then, with year-on-year and month-on-month change computed on that same vintage set.
CREATE OR REPLACE MACRO monthly_trade_as_of(ts) AS TABLE
WITH known AS (
    SELECT *
    FROM observations
    WHERE measure IN ('WERTA', 'WERTE')
      AND goods_code = ''  -- country totals; goods are in monthly_trade_by_goods
      AND valid_from <= ts
),
history AS (
    SELECT table_code, country_code, measure, month,
           min(valid_from) AS first_published_at,
           count(*) AS vintages
    FROM known
    GROUP BY ALL
),
valid AS (
    SELECT *
    FROM known
    WHERE valid_to IS NULL OR valid_to > ts
)
SELECT
    v.table_code,
    v.country_code,
    c.iso2 AS country_iso2,
    c.name_en AS country_name,
    CASE v.measure WHEN 'WERTA' THEN 'export' ELSE 'import' END AS flow,
    v.month,
    v.value AS value_eur,
    v.quality,
    h.first_published_at,
    CASE WHEN h.vintages > 1 THEN v.valid_from END AS last_revised_at,
    100 * (v.value - year_before.value) / nullif(year_before.value, 0) AS yoy_pct,
    100 * (v.value - month_before.value) / nullif(month_before.value, 0) AS mom_pct
FROM valid AS v
JOIN history AS h USING (table_code, country_code, measure, month)
LEFT JOIN countries AS c USING (country_code)
LEFT JOIN valid AS year_before
       ON year_before.table_code = v.table_code
      AND year_before.country_code = v.country_code
      AND year_before.measure = v.measure
      AND year_before.month = v.month - INTERVAL 1 YEAR
LEFT JOIN valid AS month_before
       ON month_before.table_code = v.table_code
      AND month_before.country_code = v.country_code
      AND month_before.measure = v.measure
      AND month_before.month = v.month - INTERVAL 1 MONTH;

COMMENT ON MACRO TABLE monthly_trade_as_of IS 'monthly_trade as it was known at timestamp ts (UTC): SELECT * FROM monthly_trade_as_of(TIMESTAMP ''2024-06-01'').';
