-- Observations with vintages: a value is never overwritten. A revision sets valid_to on the old
-- row and inserts the new value with valid_from = the same instant.
CREATE TABLE observations (
    table_code      VARCHAR NOT NULL,
    country_code    VARCHAR NOT NULL,
    goods_variable  VARCHAR NOT NULL,
    goods_code      VARCHAR NOT NULL,
    month           DATE NOT NULL,
    measure         VARCHAR NOT NULL,
    value           DECIMAL(38, 3),
    unit            VARCHAR NOT NULL,
    symbol          VARCHAR,
    quality         VARCHAR,
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP,
    raw_response_id BIGINT NOT NULL
);

COMMENT ON TABLE observations IS 'Every value GENESIS ever delivered, one row per vintage, key (table_code, country_code, goods_code, month, measure). The current value has valid_to IS NULL.';
COMMENT ON COLUMN observations.table_code IS 'GENESIS table, e.g. 51000-0004.';
COMMENT ON COLUMN observations.country_code IS 'Partner country as STLAH key, e.g. STLAH075 = Russian Federation; see countries.';
COMMENT ON COLUMN observations.goods_variable IS 'Goods classification of goods_code, e.g. WAM8 (8-digit commodity codes); empty for tables by country only.';
COMMENT ON COLUMN observations.goods_code IS 'Commodity code as GENESIS delivers it (text, leading zeros kept), e.g. WA84713000; empty for country totals.';
COMMENT ON COLUMN observations.month IS 'Reference month (first day of the month).';
COMMENT ON COLUMN observations.measure IS 'GENESIS value variable: WERTA exports EUR, WERTE imports EUR, WERTAS/WERTES in USD, GEWA/GEWE net mass.';
COMMENT ON COLUMN observations.value IS 'Value in the base unit (EUR, USD or t), converted exactly from the delivered thousands; NULL when GENESIS gave no number.';
COMMENT ON COLUMN observations.unit IS 'Base unit of value: EUR, USD or t.';
COMMENT ON COLUMN observations.symbol IS 'GENESIS symbol delivered instead of a number: - (nothing, stored as 0), . (unknown or secret), ... (not yet available), / (not reliable), x (not meaningful).';
COMMENT ON COLUMN observations.quality IS 'GENESIS quality flag (value_q), e.g. p provisional, r revised, e final; NULL when none was delivered.';
COMMENT ON COLUMN observations.valid_from IS 'When this vintage was loaded (UTC).';
COMMENT ON COLUMN observations.valid_to IS 'When a revision replaced this vintage (UTC); NULL for the current value.';
COMMENT ON COLUMN observations.raw_response_id IS 'The raw_responses row this vintage came from.';
