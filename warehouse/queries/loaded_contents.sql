-- The flat file contents already loaded for some requests ($keys): a body with the same content is
-- loaded data, whatever its bytes.
SELECT DISTINCT request_key, content_sha256, content_crc32, content_bytes
FROM raw_responses
WHERE list_contains($keys, request_key) AND content_sha256 IS NOT NULL;
