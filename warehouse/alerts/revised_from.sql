-- The value a month had before the revisions loaded after $since.
SELECT month, arg_min(old_value, revised_at) AS old_value
FROM revisions
WHERE country_code = $country_code AND measure = $measure AND goods_code = '' AND revised_at > $since
GROUP BY month;
