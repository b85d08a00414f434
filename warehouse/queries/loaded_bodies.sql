-- The response bodies already loaded for some requests ($keys), with their sizes: the same body
-- for the same request is loaded data.
SELECT sha256, request_key, size_bytes
FROM raw_responses
WHERE list_contains($keys, request_key);
