-- The batch to merge. If two responses of one run deliver the same key, the later fetch wins.
CREATE OR REPLACE TEMP TABLE staged_observations AS
SELECT table_code, country_code, goods_variable, goods_code, month, measure, value, unit, symbol, quality, raw_response_id
FROM batch_observations
QUALIFY row_number() OVER (
    PARTITION BY table_code, country_code, goods_code, month, measure
    ORDER BY fetched_at DESC, raw_response_id DESC
) = 1;
