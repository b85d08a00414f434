-- Until this version a month's first number replacing the placeholder ... ("not yet available")
-- counted as a revision, so an alert for a newly published month that crossed its threshold was
-- stored as kind 'revised' instead of 'crossed'. The views that tell the two apart are recreated
-- with this version; this re-labels the stored alerts that can be told from the vintages: a
-- 'revised' alert raised by the evaluation right after its month's first publication (that load
-- came after a placeholder, and no other load came between it and the alert). A 'revised' alert
-- raised later than that is left as it is: without the watermark of the evaluation before it, a
-- real revision cannot be ruled out. Messages already delivered are not sent again.
UPDATE alerts AS a
SET kind = 'crossed', previous_value_eur = NULL
WHERE a.kind = 'revised'
  AND EXISTS (
      SELECT 1
      FROM (
          SELECT min(o.valid_from) AS loaded_at,
                 min(o.valid_from) FILTER (WHERE o.symbol IS DISTINCT FROM '...') AS published_at
          FROM observations AS o
          WHERE o.country_code = a.country_code
            AND o.goods_code = ''
            AND o.measure = CASE a.flow WHEN 'export' THEN 'WERTA' ELSE 'WERTE' END
            AND o.month = a.month
      ) AS m
      WHERE m.published_at > m.loaded_at
        AND m.published_at <= a.raised_at
        AND NOT EXISTS (SELECT 1 FROM observations AS later WHERE later.valid_from > m.published_at AND later.valid_from <= a.raised_at)
  );
