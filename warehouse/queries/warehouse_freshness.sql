-- When the warehouse last loaded a value, and the latest month of one table.
SELECT max(valid_from) AS last_load, max(month) FILTER (WHERE table_code = $table_code AND goods_code = '') AS latest_month
FROM observations;
