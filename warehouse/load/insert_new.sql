-- Open a vintage for every staged key that has no current row (new, or just closed above).
INSERT INTO observations (
    table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality, valid_from, valid_to,
    raw_response_id
)
SELECT s.table_code, s.country_code, s.goods_variable, s.goods_code, s.month, s.measure, s.value, s.unit, s.symbol, s.quality,
       $load_ts AS valid_from, NULL AS valid_to, s.raw_response_id
FROM staged_observations AS s
WHERE NOT EXISTS (
    SELECT 1
    FROM observations AS o
    WHERE o.valid_to IS NULL
      AND o.table_code = s.table_code
      AND o.country_code = s.country_code
      AND o.goods_code = s.goods_code
      AND o.month = s.month
      AND o.measure = s.measure
);
