-- First load of a table: every staged row opens a vintage (no key lookups needed).
INSERT INTO observations (
    table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality, valid_from, valid_to,
    raw_response_id
)
SELECT s.table_code, s.country_code, s.goods_variable, s.goods_code, s.month, s.measure, s.value, s.unit, s.symbol, s.quality,
       $load_ts AS valid_from, NULL AS valid_to, s.raw_response_id
FROM staged_observations AS s;
