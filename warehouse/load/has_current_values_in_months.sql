-- Does table $table_code have current values in the months of the batches ($paths)? If not, no key
-- of theirs has one: every row is new, and goes in without being compared.
SELECT EXISTS (
    SELECT 1
    FROM observations
    WHERE valid_to IS NULL
      AND table_code = $table_code
      AND month BETWEEN (SELECT min(month) FROM read_parquet($paths)) AND (SELECT max(month) FROM read_parquet($paths))
);
