-- Dimension: the Common High Priority List (CHPL) of goods at HS 6-digit level, loaded from
-- warehouse/seeds/priority_goods.csv (reloaded whenever that file changes: a new list version is data).
CREATE TABLE priority_goods (
    hs6          VARCHAR NOT NULL,
    tier         VARCHAR NOT NULL,
    description  VARCHAR NOT NULL,
    list_version VARCHAR NOT NULL,
    exists_since DATE,
    source       VARCHAR NOT NULL
);

COMMENT ON TABLE priority_goods IS 'The Common High Priority List (EU, US, UK, Japan): goods found in Russian weapons, by HS 6-digit code and tier. Loaded from warehouse/seeds/priority_goods.csv.';
COMMENT ON COLUMN priority_goods.hs6 IS 'HS 2022 subheading, 6 digits as text, e.g. 854231; the GENESIS goods key is WA followed by these digits.';
COMMENT ON COLUMN priority_goods.tier IS 'CHPL tier: 1, 2, 3.A, 3.B, 4.A or 4.B (1 = highest concern).';
COMMENT ON COLUMN priority_goods.description IS 'Short English description of the subheading (not the official wording).';
COMMENT ON COLUMN priority_goods.list_version IS 'Date of the CHPL version, e.g. 2024-02-23.';
COMMENT ON COLUMN priority_goods.exists_since IS 'First month the code exists (2022-01-01 for codes new in HS 2022); earlier months are not applicable. NULL: existed throughout.';
COMMENT ON COLUMN priority_goods.source IS 'Publication the row comes from.';
