-- The series as known at timestamp ts: for every (table, country, flow, month) the vintage that
-- was valid then, with year-on-year and month-on-month change computed on that same vintage set.
-- GENESIS lists months it has not published yet with the symbol ... ("Angabe fällt später an"):
-- such a placeholder is not a publication, so the first number (or substantive symbol - . / x)
-- that replaces it is the first publication, not a revision. A revision is a change of value,
-- symbol or unit of a published vintage; a change of the quality flag alone is neither.
CREATE OR REPLACE MACRO monthly_trade_as_of(ts) AS TABLE
WITH known AS (
    SELECT *
    FROM observations
    WHERE measure IN ('WERTA', 'WERTE')
      AND goods_code = ''  -- country totals; goods are in monthly_trade_by_goods
      AND valid_from <= ts
),
steps AS (
    -- every vintage beside the one it replaced
    SELECT table_code, country_code, measure, month, valid_from,
           symbol IS DISTINCT FROM '...' AS published,
           lag(symbol IS DISTINCT FROM '...') OVER key_history AS replaced_published,
           value IS DISTINCT FROM lag(value) OVER key_history
               OR symbol IS DISTINCT FROM lag(symbol) OVER key_history
               OR unit IS DISTINCT FROM lag(unit) OVER key_history AS value_changed
    FROM known
    WINDOW key_history AS (PARTITION BY table_code, country_code, measure, month ORDER BY valid_from)
),
history AS (
    SELECT table_code, country_code, measure, month,
           min(valid_from) FILTER (WHERE published) AS first_published_at,
           max(valid_from) FILTER (WHERE replaced_published AND value_changed) AS last_revised_at
    FROM steps
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
    h.last_revised_at,
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
