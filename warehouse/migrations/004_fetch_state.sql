-- Incremental fetching: per request, when it last succeeded, so the next run can send `stand`.
CREATE TABLE fetch_state (
    request_key     VARCHAR NOT NULL,
    table_code      VARCHAR NOT NULL,
    request         JSON NOT NULL,
    last_success_at TIMESTAMP NOT NULL,
    last_sha256     VARCHAR
);

COMMENT ON TABLE fetch_state IS 'Last successful fetch per request; the next run sends it as stand, so an unchanged table costs one small request.';
COMMENT ON COLUMN fetch_state.request_key IS 'Stable hash of the request parameters (see raw_responses.request_key).';
COMMENT ON COLUMN fetch_state.table_code IS 'GENESIS table.';
COMMENT ON COLUMN fetch_state.request IS 'The request parameters (without credentials).';
COMMENT ON COLUMN fetch_state.last_success_at IS 'When the request last delivered data that was loaded (UTC).';
COMMENT ON COLUMN fetch_state.last_sha256 IS 'sha256 of that response body.';
