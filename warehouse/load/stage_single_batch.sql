-- The batch to merge when the run has one response: nothing to deduplicate across responses.
-- Slots, not $parameters: SQL's PREPARE takes no CREATE ... AS (warehouse/parameters.py).
CREATE OR REPLACE TEMP TABLE staged_observations AS
SELECT table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality,
       CAST({{raw_response_id}} AS BIGINT) AS raw_response_id
FROM read_parquet({{path}});
