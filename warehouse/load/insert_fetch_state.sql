-- The last successful fetch of one request, whose time is the next request's `stand`.
INSERT INTO fetch_state (request_key, table_code, request, last_success_at, last_sha256)
VALUES ($request_key, $table_code, $request, $last_success_at, $last_sha256)
