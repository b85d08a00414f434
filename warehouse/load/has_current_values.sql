-- Does any table of the batch already have current values? If not, every staged row is new.
SELECT EXISTS (
    SELECT 1
    FROM observations
    WHERE valid_to IS NULL
      AND table_code IN (SELECT DISTINCT table_code FROM staged_observations)
);
