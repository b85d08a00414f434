-- The validated batch as Parquet ($path), without the row positions.
COPY (SELECT * EXCLUDE (row_index) FROM staged_batch) TO $path (FORMAT parquet);
