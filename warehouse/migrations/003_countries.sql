-- Dimension: the STLAH country nomenclature, seeded from warehouse/seeds/countries.csv.
CREATE TABLE countries (
    country_code VARCHAR NOT NULL,
    name_de      VARCHAR NOT NULL,
    name_en      VARCHAR NOT NULL,
    iso2         VARCHAR
);

COMMENT ON TABLE countries IS 'The 262 keys of the GENESIS country nomenclature for external trade (STLAH) with names and ISO codes.';
COMMENT ON COLUMN countries.country_code IS 'STLAH key, e.g. STLAH075.';
COMMENT ON COLUMN countries.name_de IS 'German name as GENESIS labels it.';
COMMENT ON COLUMN countries.name_en IS 'English name as GENESIS labels it.';
COMMENT ON COLUMN countries.iso2 IS 'ISO 3166-1 alpha-2 code; NULL for keys that are not countries (ship supplies, not determined, confidential).';
