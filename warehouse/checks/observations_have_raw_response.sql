-- Data test: every observation points at the raw response it came from. Returns orphans. Only the
-- rows this load ($load_ts) inserted are new, so only they are looked at.
SELECT o.table_code, o.country_code, o.goods_code, o.month, o.measure, o.raw_response_id
FROM observations AS o
ANTI JOIN raw_responses AS r USING (raw_response_id)
WHERE o.valid_from = $load_ts;
