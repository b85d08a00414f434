-- The staged values outside the years the request asked for ($first_year..$last_year): how many,
-- and the first and the last of those years. GENESIS filters by startyear/endyear, so any such
-- value means the answer is not the one asked for.
SELECT count(*) AS values_outside, min(year("month")) AS first_year, max(year("month")) AS last_year
FROM staged_flat_observations
WHERE year("month") NOT BETWEEN $first_year AND $last_year;
