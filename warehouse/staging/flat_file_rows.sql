-- Staging, step 2: the rows with the dimension columns picked by variable code (the slots
-- country_column, goods_column, month_column: attribute-code columns of the STLAH, goods and MONAT
-- groups), named as in schemas.flat_file.FlatFileRows, and `variables_ok`: the row names the
-- variables the layout was found with (slot variables_ok). Still a view over the file, so slots,
-- not bound parameters (warehouse/README.md, Writing SQL here).
CREATE OR REPLACE VIEW flat_file_rows AS
SELECT
    statistics_code,
    time_code,
    "time" AS year,
    {{country_column}} AS country_code,
    {{goods_column}} AS goods_code,
    {{month_column}} AS month_code,
    value_variable_code AS measure,
    value_variable_code || '|' || value_unit AS measure_unit,
    "value",
    {{quality_column}} AS quality,
    {{variables_ok}} AS variables_ok
FROM flat_file;
