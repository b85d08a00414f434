-- Every published vintage that was replaced, beside the vintage that replaced it: the change log
-- that revisions (value, symbol or unit changed) and quality_changes (only the flag changed) read.
-- A replaced placeholder ... was never published: its successor is the first publication, not a change.
CREATE OR REPLACE VIEW vintage_changes AS
SELECT
    new.table_code,
    new.country_code,
    new.goods_code,
    CASE WHEN new.measure IN ('WERTA', 'WERTAS', 'GEWA') THEN 'export' ELSE 'import' END AS flow,
    new.measure,
    new.month,
    old.value AS old_value,
    new.value AS new_value,
    old.symbol AS old_symbol,
    new.symbol AS new_symbol,
    old.quality AS old_quality,
    new.quality AS new_quality,
    old.unit AS old_unit,
    new.unit AS new_unit,
    old.valid_from AS old_valid_from,
    new.valid_from AS changed_at,
    new.raw_response_id
FROM observations AS new
JOIN observations AS old
  ON old.table_code = new.table_code
 AND old.country_code = new.country_code
 AND old.goods_code = new.goods_code
 AND old.measure = new.measure
 AND old.month = new.month
 AND old.valid_to = new.valid_from
WHERE old.symbol IS DISTINCT FROM '...';

COMMENT ON VIEW vintage_changes IS 'Every replaced published vintage beside the one that replaced it (revisions and quality changes together); the first publication of a month, replacing the placeholder ..., is not in it.';
COMMENT ON COLUMN vintage_changes.table_code IS 'GENESIS table.';
COMMENT ON COLUMN vintage_changes.country_code IS 'Partner country as STLAH key.';
COMMENT ON COLUMN vintage_changes.goods_code IS 'Commodity code; empty for country totals.';
COMMENT ON COLUMN vintage_changes.flow IS 'export or import.';
COMMENT ON COLUMN vintage_changes.measure IS 'GENESIS value variable, e.g. WERTA.';
COMMENT ON COLUMN vintage_changes.month IS 'Reference month, first day.';
COMMENT ON COLUMN vintage_changes.old_value IS 'Value of the replaced vintage, in old_unit.';
COMMENT ON COLUMN vintage_changes.new_value IS 'Value of the replacing vintage, in new_unit.';
COMMENT ON COLUMN vintage_changes.old_symbol IS 'GENESIS symbol of the replaced vintage.';
COMMENT ON COLUMN vintage_changes.new_symbol IS 'GENESIS symbol of the replacing vintage.';
COMMENT ON COLUMN vintage_changes.old_quality IS 'Quality flag of the replaced vintage.';
COMMENT ON COLUMN vintage_changes.new_quality IS 'Quality flag of the replacing vintage.';
COMMENT ON COLUMN vintage_changes.old_unit IS 'Unit of the replaced vintage: EUR, USD or t.';
COMMENT ON COLUMN vintage_changes.new_unit IS 'Unit of the replacing vintage.';
COMMENT ON COLUMN vintage_changes.old_valid_from IS 'When the replaced vintage was loaded (UTC).';
COMMENT ON COLUMN vintage_changes.changed_at IS 'When the replacing vintage was loaded (UTC).';
COMMENT ON COLUMN vintage_changes.raw_response_id IS 'The raw_responses row of the replacing vintage.';
