-- The responses already loaded for some requests ($keys): each body with its size, and the flat
-- file inside where it was kept (content_*). The same body, or a body with the same content
-- whatever its bytes, is loaded data.
SELECT request_key, sha256, size_bytes, content_sha256, content_crc32, content_bytes
FROM raw_responses
WHERE list_contains($keys, request_key);
