-- Every revision of a published value: the closed vintage beside the one that replaced it, when
-- value, symbol or unit differ. Not revisions: the first publication (the closed vintage was the
-- placeholder ... , "not yet available") and a change of the quality flag alone (quality_changes).
CREATE OR REPLACE VIEW revisions AS
SELECT
    new.table_code,
    new.country_code,
    new.goods_code,
    CASE WHEN new.measure IN ('WERTA', 'WERTAS', 'GEWA') THEN 'export' ELSE 'import' END AS flow,
    new.measure,
    new.month,
    old.value AS old_value,
    new.value AS new_value,
    new.value - old.value AS change,
    old.symbol AS old_symbol,
    new.symbol AS new_symbol,
    old.quality AS old_quality,
    new.quality AS new_quality,
    new.unit,
    old.valid_from AS old_valid_from,
    new.valid_from AS revised_at,
    new.raw_response_id
FROM observations AS new
JOIN observations AS old
  ON old.table_code = new.table_code
 AND old.country_code = new.country_code
 AND old.goods_code = new.goods_code
 AND old.measure = new.measure
 AND old.month = new.month
 AND old.valid_to = new.valid_from
WHERE old.symbol IS DISTINCT FROM '...'
  AND (old.value IS DISTINCT FROM new.value OR old.symbol IS DISTINCT FROM new.symbol OR old.unit IS DISTINCT FROM new.unit);

COMMENT ON VIEW revisions IS 'Every revision of a published value: old and new value, symbol and quality flag, and when the revision was loaded. The first publication of a month (replacing the placeholder ...) is not a revision; a change of the quality flag alone is in quality_changes.';
COMMENT ON COLUMN revisions.table_code IS 'GENESIS table.';
COMMENT ON COLUMN revisions.country_code IS 'Partner country as STLAH key.';
COMMENT ON COLUMN revisions.goods_code IS 'Commodity code; empty for country totals.';
COMMENT ON COLUMN revisions.flow IS 'export or import.';
COMMENT ON COLUMN revisions.measure IS 'GENESIS value variable, e.g. WERTA.';
COMMENT ON COLUMN revisions.month IS 'Reference month, first day.';
COMMENT ON COLUMN revisions.old_value IS 'Value before the revision, in unit.';
COMMENT ON COLUMN revisions.new_value IS 'Value after the revision, in unit.';
COMMENT ON COLUMN revisions.change IS 'new_value - old_value.';
COMMENT ON COLUMN revisions.old_symbol IS 'GENESIS symbol before the revision.';
COMMENT ON COLUMN revisions.new_symbol IS 'GENESIS symbol after the revision.';
COMMENT ON COLUMN revisions.old_quality IS 'Quality flag before the revision.';
COMMENT ON COLUMN revisions.new_quality IS 'Quality flag after the revision.';
COMMENT ON COLUMN revisions.unit IS 'Unit of the values: EUR, USD or t.';
COMMENT ON COLUMN revisions.old_valid_from IS 'When the old value was loaded (UTC).';
COMMENT ON COLUMN revisions.revised_at IS 'When the new value was loaded (UTC).';
COMMENT ON COLUMN revisions.raw_response_id IS 'The raw_responses row of the new value.';
