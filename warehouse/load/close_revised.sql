-- Close the current vintage of every key whose staged value, symbol, unit or quality differs.
UPDATE observations AS o
SET valid_to = $load_ts
FROM staged_observations AS s
WHERE o.valid_to IS NULL
  AND o.table_code = s.table_code
  AND o.country_code = s.country_code
  AND o.goods_code = s.goods_code
  AND o.month = s.month
  AND o.measure = s.measure
  AND (o.value IS DISTINCT FROM s.value
       OR o.symbol IS DISTINCT FROM s.symbol
       OR o.unit IS DISTINCT FROM s.unit
       OR o.quality IS DISTINCT FROM s.quality);
