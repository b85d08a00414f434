-- What the flat file inside a response holds, whatever wraps it (a ZIP, or the bare CSV): the same
-- data downloaded again with other bytes is recognised as loaded without staging it again.
ALTER TABLE raw_responses ADD COLUMN content_sha256 VARCHAR;
ALTER TABLE raw_responses ADD COLUMN content_crc32 BIGINT;
ALTER TABLE raw_responses ADD COLUMN content_bytes BIGINT;
COMMENT ON COLUMN raw_responses.content_sha256 IS 'sha256 of the flat file (the CSV inside the ZIP, or the body itself); NULL for responses loaded before it was kept.';
COMMENT ON COLUMN raw_responses.content_crc32 IS 'CRC-32 of the flat file, as a ZIP directory states it: finds a re-zipped copy before hashing it; NULL where not computed.';
COMMENT ON COLUMN raw_responses.content_bytes IS 'Size of the flat file in bytes; NULL where not computed.';
