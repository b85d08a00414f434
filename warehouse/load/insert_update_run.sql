-- One line of the run log.
INSERT INTO update_runs (run_id, started_at, finished_at, status, requests, rows_inserted, rows_closed, error)
VALUES ($run_id, $started_at, $finished_at, $status, $requests, $rows_inserted, $rows_closed, $error)
