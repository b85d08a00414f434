-- Data test: every observation points at the raw response it came from. Returns orphans.
SELECT o.table_code, o.country_code, o.goods_code, o.month, o.measure, o.raw_response_id
FROM observations AS o
ANTI JOIN raw_responses AS r USING (raw_response_id);
