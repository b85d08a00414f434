-- The earliest year that still has a provisional value or one not yet available: the revision
-- window must reach back to it.
SELECT min(year(month))
FROM observations
WHERE valid_to IS NULL
  AND table_code = $table_code
  AND (quality = 'p' OR symbol = '...');
