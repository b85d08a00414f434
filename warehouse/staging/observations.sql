-- Staging, step 3: typed observations. Numbers become exact DECIMALs in the base unit
-- (thousands of EUR -> EUR), "-" becomes 0, the no-value symbols become NULL and are kept.
CREATE OR REPLACE TABLE staged_flat_observations AS
SELECT
    r.row_index,
    $table_code AS table_code,
    r.country_code,
    $goods_variable AS goods_variable,
    r.goods_code,
    make_date(CAST(r.year AS INTEGER), CAST(right(r.month_code, 2) AS INTEGER), 1) AS month,
    r.measure,
    CASE
        WHEN r."value" = '-' THEN CAST(0 AS DECIMAL(38, 3))
        WHEN r."value" IN ('.', '...', '/', 'x') THEN NULL
        ELSE CAST(replace(r."value", ',', '.') AS DECIMAL(38, 3)) * m.factor
    END AS "value",
    m.base_unit AS unit,
    CASE WHEN r."value" IN ('-', '.', '...', '/', 'x') THEN r."value" END AS symbol,
    nullif(r.quality, '') AS quality
FROM flat_file_rows AS r
JOIN measure_units AS m USING (measure);
