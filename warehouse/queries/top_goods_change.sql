-- The goods that made one month's change on the same month a year earlier, ranked by absolute
-- change in EUR. $country: ISO alpha-2 code or STLAH key; $flow: export | import; $month: any day
-- of the month; $limit: how many goods. The logic is the table macro top_goods_change
-- (warehouse/views/060_top_goods_change.sql), so plain SQL can call it with literal values too.
SELECT * FROM top_goods_change($country, $flow, $month, $limit);
