-- Which goods made a month's change: one country and flow, the month against the same month a
-- year earlier, goods ranked by the absolute change in EUR. A goods code present in only one of
-- the two months counts as 0 in the other; a value GENESIS gave no number for leaves the change NULL
-- (ranked last). warehouse/queries/top_goods_change.sql calls it with named parameters.
CREATE OR REPLACE MACRO top_goods_change(country_key, flow_name, in_month, top_n) AS TABLE
WITH selection AS (
    SELECT *
    FROM monthly_trade_by_goods
    WHERE upper(country_key) IN (country_iso2, country_code)
      AND flow = flow_name
),
target AS (
    SELECT CAST(date_trunc('month', CAST(in_month AS DATE)) AS DATE) AS month,
           CAST(date_trunc('month', CAST(in_month AS DATE)) - INTERVAL 1 YEAR AS DATE) AS month_year_before
),
pairs AS (
    SELECT
        coalesce(now.table_code, before.table_code) AS table_code,
        coalesce(now.country_code, before.country_code) AS country_code,
        coalesce(now.country_iso2, before.country_iso2) AS country_iso2,
        coalesce(now.goods_variable, before.goods_variable) AS goods_variable,
        coalesce(now.goods_code, before.goods_code) AS goods_code,
        now.value_eur,
        before.value_eur AS value_eur_year_before,
        CASE
            WHEN (now.goods_code IS NOT NULL AND now.value_eur IS NULL)
              OR (before.goods_code IS NOT NULL AND before.value_eur IS NULL) THEN NULL
            ELSE coalesce(now.value_eur, 0) - coalesce(before.value_eur, 0)
        END AS change_eur
    FROM (SELECT s.* FROM selection AS s, target AS t WHERE s.month = t.month) AS now
    FULL JOIN (SELECT s.* FROM selection AS s, target AS t WHERE s.month = t.month_year_before) AS before
      ON before.table_code = now.table_code
     AND before.country_code = now.country_code
     AND before.goods_code = now.goods_code
),
ranked AS (
    SELECT
        row_number() OVER (ORDER BY abs(change_eur) DESC NULLS LAST, table_code, goods_code) AS rank,
        p.table_code,
        p.country_code,
        p.country_iso2,
        flow_name AS flow,
        p.goods_variable,
        p.goods_code,
        t.month,
        p.value_eur,
        p.value_eur_year_before,
        p.change_eur,
        100 * p.change_eur / nullif(p.value_eur_year_before, 0) AS change_pct,
        100 * p.change_eur / nullif(sum(p.value_eur_year_before) OVER (PARTITION BY p.table_code, p.goods_variable), 0) AS contribution_pp
    FROM pairs AS p, target AS t
)
SELECT * FROM ranked WHERE rank <= top_n ORDER BY rank;

COMMENT ON MACRO TABLE top_goods_change IS 'The goods that made a month''s change on a year earlier, ranked by absolute change in EUR: SELECT * FROM top_goods_change(''RU'', ''export'', DATE ''2024-08-01'', 10). Columns: rank, table_code, country_code, country_iso2, flow, goods_variable, goods_code, month, value_eur, value_eur_year_before, change_eur, change_pct, contribution_pp (the change in percentage points of the goods total a year earlier).';
