-- Data test: a closed vintage ends after it starts. Returns the violating rows.
SELECT table_code, country_code, goods_code, month, measure, valid_from, valid_to
FROM observations
WHERE valid_to IS NOT NULL AND valid_to <= valid_from;
