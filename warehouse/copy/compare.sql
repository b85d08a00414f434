-- Row-for-row comparison of a copied table with its source: counts, and rows on one side only
-- (EXCEPT ALL keeps duplicates, so a row copied twice counts as extra).
SELECT
    (SELECT count(*) FROM {{source}}) AS source_rows,
    (SELECT count(*) FROM {{target}}) AS target_rows,
    (SELECT count(*) FROM (SELECT {{columns}} FROM {{source}} EXCEPT ALL SELECT {{columns}} FROM {{target}})) AS missing,
    (SELECT count(*) FROM (SELECT {{columns}} FROM {{target}} EXCEPT ALL SELECT {{columns}} FROM {{source}})) AS extra
