-- route_comparison for some countries and one flow, oldest month first.
SELECT country_code, country_iso2, country_name, month, value_eur, yoy_pct, index_2021
FROM route_comparison
WHERE table_code = $table_code AND flow = $flow AND list_contains($country_codes, country_code)
ORDER BY country_code, month;
