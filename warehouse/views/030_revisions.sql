-- Every revision of a published value: a vintage change (vintage_changes) in which value, symbol or
-- unit differ. Not revisions: the first publication (the closed vintage was the
-- placeholder ... , "not yet available") and a change of the quality flag alone (quality_changes).
CREATE OR REPLACE VIEW revisions AS
SELECT
    table_code,
    country_code,
    goods_code,
    flow,
    measure,
    month,
    old_value,
    new_value,
    new_value - old_value AS change,
    old_symbol,
    new_symbol,
    old_quality,
    new_quality,
    new_unit AS unit,
    old_valid_from,
    changed_at AS revised_at,
    raw_response_id
FROM vintage_changes
WHERE old_value IS DISTINCT FROM new_value OR old_symbol IS DISTINCT FROM new_symbol OR old_unit IS DISTINCT FROM new_unit;

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
