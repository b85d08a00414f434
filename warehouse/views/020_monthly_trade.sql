-- Current values: the as-of view at the end of time.
CREATE OR REPLACE VIEW monthly_trade AS
SELECT * FROM monthly_trade_as_of(TIMESTAMP 'infinity');

COMMENT ON VIEW monthly_trade IS 'Monthly German exports and imports in EUR by partner country, current values, with year-on-year and month-on-month change. For values as known at an earlier time use monthly_trade_as_of(ts).';
COMMENT ON COLUMN monthly_trade.table_code IS 'GENESIS table the value comes from, e.g. 51000-0004.';
COMMENT ON COLUMN monthly_trade.country_code IS 'Partner country as STLAH key, e.g. STLAH075.';
COMMENT ON COLUMN monthly_trade.country_iso2 IS 'ISO 3166-1 alpha-2 code of the partner country, e.g. RU.';
COMMENT ON COLUMN monthly_trade.country_name IS 'English name of the partner country as GENESIS labels it.';
COMMENT ON COLUMN monthly_trade.flow IS 'export (German exports to the country) or import (German imports from it).';
COMMENT ON COLUMN monthly_trade.month IS 'Reference month, first day.';
COMMENT ON COLUMN monthly_trade.value_eur IS 'Value in EUR (GENESIS delivers thousands; converted exactly). NULL when GENESIS gave no number, e.g. for a month not yet published (...).';
COMMENT ON COLUMN monthly_trade.quality IS 'GENESIS quality flag, e.g. p provisional, e final.';
COMMENT ON COLUMN monthly_trade.first_published_at IS 'When the warehouse first loaded a published value for this month (UTC): a number or a symbol such as - or ., not the placeholder ... (not yet available); NULL while the month is a placeholder.';
COMMENT ON COLUMN monthly_trade.last_revised_at IS 'When a published value of this month was last changed (UTC); NULL if never revised. The first publication and a change of the quality flag alone are not revisions.';
COMMENT ON COLUMN monthly_trade.yoy_pct IS 'Change on the same month a year earlier, in percent.';
COMMENT ON COLUMN monthly_trade.mom_pct IS 'Change on the previous month, in percent.';
