-- The record of one archived GENESIS response (the request without secrets).
INSERT INTO raw_responses (
    raw_response_id, request_key, table_code, endpoint, request, fetched_at, sha256, size_bytes, content_type, archive_path, loaded_at,
    content_sha256, content_crc32, content_bytes
)
VALUES (
    $raw_response_id, $request_key, $table_code, $endpoint, $request, $fetched_at, $sha256, $size_bytes, $content_type, $archive_path,
    $loaded_at,
    $content_sha256, $content_crc32, $content_bytes
)
