-- What the Observations schema checks: the same rows with the value as DOUBLE.
CREATE OR REPLACE VIEW staged_flat_observations_check AS
SELECT * REPLACE (CAST("value" AS DOUBLE) AS "value")
FROM staged_flat_observations;
