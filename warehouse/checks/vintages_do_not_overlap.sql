-- Data test: a closed vintage ends after it starts. Returns the violating rows. Only this load
-- ($load_ts) closed vintages, so only they are looked at.
SELECT table_code, country_code, goods_code, month, measure, valid_from, valid_to
FROM observations
WHERE valid_to = $load_ts AND valid_to <= valid_from;
