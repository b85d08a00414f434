-- Months of one country-total series (EUR) that were revised: how often, the first and the current
-- value, and when last.
SELECT
    month,
    count(*) AS revisions,
    arg_min(old_value, revised_at) AS first_value,
    arg_max(new_value, revised_at) AS current_value,
    max(revised_at) AS last_revised_at
FROM revisions
WHERE table_code = $table_code
  AND country_code = $country_code
  AND goods_code = ''
  AND measure IN ('WERTA', 'WERTE')
  AND flow = $flow
GROUP BY month
ORDER BY month;
