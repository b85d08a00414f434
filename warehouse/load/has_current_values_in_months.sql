-- Does table $table_code have current values in the months of the batch ($path)? If not, no key of
-- the batch has one: every row is new, and goes in without being compared.
SELECT EXISTS (
    SELECT 1
    FROM observations
    WHERE valid_to IS NULL
      AND table_code = $table_code
      AND month BETWEEN (SELECT min(month) FROM read_parquet($path)) AND (SELECT max(month) FROM read_parquet($path))
);
