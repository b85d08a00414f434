-- A published value whose quality flag changed while value, symbol and unit stayed the same, e.g.
-- p (provisional) -> e (final): visible here, but not a revision (revisions) and never an alert.
CREATE OR REPLACE VIEW quality_changes AS
SELECT
    table_code, country_code, goods_code, flow, measure, month,  -- the value's key
    new_value AS value,
    new_symbol AS symbol,
    new_unit AS unit,
    old_quality,
    new_quality,
    old_valid_from,
    changed_at,
    raw_response_id
FROM vintage_changes
WHERE old_value IS NOT DISTINCT FROM new_value
  AND old_symbol IS NOT DISTINCT FROM new_symbol
  AND old_unit IS NOT DISTINCT FROM new_unit
  AND old_quality IS DISTINCT FROM new_quality;

COMMENT ON VIEW quality_changes IS 'Published values whose GENESIS quality flag changed (e.g. p provisional -> e final) with the value unchanged. Not revisions: they are not in revisions, do not set monthly_trade.last_revised_at and raise no alert.';
COMMENT ON COLUMN quality_changes.table_code IS 'GENESIS table.';
COMMENT ON COLUMN quality_changes.country_code IS 'Partner country as STLAH key.';
COMMENT ON COLUMN quality_changes.goods_code IS 'Commodity code; empty for country totals.';
COMMENT ON COLUMN quality_changes.flow IS 'export or import.';
COMMENT ON COLUMN quality_changes.measure IS 'GENESIS value variable, e.g. WERTA.';
COMMENT ON COLUMN quality_changes.month IS 'Reference month, first day.';
COMMENT ON COLUMN quality_changes.value IS 'The value (unchanged), in unit.';
COMMENT ON COLUMN quality_changes.symbol IS 'GENESIS symbol (unchanged), e.g. - for nothing.';
COMMENT ON COLUMN quality_changes.unit IS 'Unit of the value: EUR, USD or t.';
COMMENT ON COLUMN quality_changes.old_quality IS 'Quality flag before the change.';
COMMENT ON COLUMN quality_changes.new_quality IS 'Quality flag after the change.';
COMMENT ON COLUMN quality_changes.old_valid_from IS 'When the vintage with the old flag was loaded (UTC).';
COMMENT ON COLUMN quality_changes.changed_at IS 'When the new flag was loaded (UTC).';
COMMENT ON COLUMN quality_changes.raw_response_id IS 'The raw_responses row of the new flag.';
