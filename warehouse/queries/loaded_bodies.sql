-- The response bodies already loaded for some requests ($keys), as (sha256, request_key): the same
-- body for the same request is loaded data.
SELECT sha256, request_key
FROM raw_responses
WHERE list_contains($keys, request_key);
