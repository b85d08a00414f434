-- A published value whose quality flag changed while value, symbol and unit stayed the same, e.g.
-- p (provisional) -> e (final): visible here, but not a revision (revisions) and never an alert.
CREATE OR REPLACE VIEW quality_changes AS
SELECT
    new.table_code,
    new.country_code,
    new.goods_code,
    CASE WHEN new.measure IN ('WERTA', 'WERTAS', 'GEWA') THEN 'export' ELSE 'import' END AS flow,
    new.measure,
    new.month,
    new.value,
    new.symbol,
    new.unit,
    old.quality AS old_quality,
    new.quality AS new_quality,
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
WHERE old.symbol IS DISTINCT FROM '...'
  AND old.value IS NOT DISTINCT FROM new.value
  AND old.symbol IS NOT DISTINCT FROM new.symbol
  AND old.unit IS NOT DISTINCT FROM new.unit
  AND old.quality IS DISTINCT FROM new.quality;

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
