-- The staged batch: the typed rows with their position and the request's constants (the slots
-- table_code, goods_variable: a view takes no bound parameters), in the column order of
-- schemas.observations.Observations; and what that schema checks: the same rows with the value as
-- DOUBLE (the batch keeps the exact DECIMAL).
CREATE OR REPLACE VIEW staged_batch AS
SELECT
    rowid AS row_index,
    {{table_code}} AS table_code,
    country_code,
    {{goods_variable}} AS goods_variable,
    goods_code,
    "month",
    measure,
    "value",
    unit,
    symbol,
    quality
FROM staged_flat_observations;

CREATE OR REPLACE VIEW staged_flat_observations_check AS
SELECT * REPLACE (CAST("value" AS DOUBLE) AS "value")
FROM staged_batch;
