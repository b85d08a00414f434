-- First load of a table: every staged row opens a vintage (no key lookups needed).
INSERT INTO observations
SELECT s.table_code, s.country_code, s.goods_variable, s.goods_code, s.month, s.measure, s.value, s.unit, s.symbol, s.quality,
       $load_ts AS valid_from, NULL AS valid_to, s.raw_response_id
FROM staged_observations AS s;
