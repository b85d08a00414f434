-- When each request last succeeded, for `stand` on the next run.
SELECT request_key, last_success_at FROM fetch_state WHERE table_code = $table_code;
