-- Staging, step 1: the flat file's rows with the dimension columns picked by variable code
-- ({country_column}, {month_column} are the attribute-code columns of the STLAH and MONAT groups).
CREATE OR REPLACE TABLE flat_file_rows AS
SELECT
    statistics_code,
    time_code,
    "time" AS year,
    {country_column} AS country_code,
    {month_column} AS month_code,
    value_variable_code AS measure,
    value_unit AS unit,
    "value",
    {quality_column} AS quality
FROM flat_file;
