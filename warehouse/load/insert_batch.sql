-- First load of a batch's keys (one response, $path): every row opens a vintage, read straight
-- from the Parquet batch (no staged copy, no key lookups).
INSERT INTO observations (
    table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality, valid_from, valid_to,
    raw_response_id
)
SELECT table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality,
       $load_ts AS valid_from, NULL AS valid_to, CAST($raw_response_id AS BIGINT) AS raw_response_id
FROM read_parquet($path);
