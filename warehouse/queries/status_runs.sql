-- The most recent update runs.
SELECT started_at, status, requests, rows_inserted, rows_closed, error
FROM update_runs
ORDER BY started_at DESC
LIMIT 5;
