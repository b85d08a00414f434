-- Raw layer: one row per GENESIS response that was loaded. The body itself lies in the archive
-- folder under its sha256; every fetch, loaded or not, is also in the archive's manifest.jsonl.
CREATE TABLE raw_responses (
    raw_response_id BIGINT NOT NULL,
    request_key     VARCHAR NOT NULL,
    table_code      VARCHAR NOT NULL,
    endpoint        VARCHAR NOT NULL,
    request         JSON NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,
    sha256          VARCHAR NOT NULL,
    size_bytes      BIGINT NOT NULL,
    content_type    VARCHAR,
    archive_path    VARCHAR NOT NULL,
    loaded_at       TIMESTAMP NOT NULL
);

COMMENT ON TABLE raw_responses IS 'Every GENESIS response loaded into the warehouse: the request (without credentials), when it was fetched, and the sha256 of the archived body.';
COMMENT ON COLUMN raw_responses.raw_response_id IS 'Identifier referenced by observations.raw_response_id.';
COMMENT ON COLUMN raw_responses.request_key IS 'Stable hash of the request parameters (without stand/job); the same key across runs.';
COMMENT ON COLUMN raw_responses.table_code IS 'GENESIS table, e.g. 51000-0004.';
COMMENT ON COLUMN raw_responses.endpoint IS 'GENESIS method that answered, e.g. data/tablefile or data/resultfile.';
COMMENT ON COLUMN raw_responses.request IS 'The form parameters sent (credentials are sent as headers and never stored).';
COMMENT ON COLUMN raw_responses.fetched_at IS 'When the response arrived (UTC).';
COMMENT ON COLUMN raw_responses.sha256 IS 'sha256 of the response body; the archive file is named after it.';
COMMENT ON COLUMN raw_responses.size_bytes IS 'Size of the response body in bytes.';
COMMENT ON COLUMN raw_responses.content_type IS 'Content-Type the server sent.';
COMMENT ON COLUMN raw_responses.archive_path IS 'Path of the archived body, relative to the archive folder.';
COMMENT ON COLUMN raw_responses.loaded_at IS 'When the load that used this response committed (UTC).';
