-- Staging, step 1: the flat file read once, as text, keeping only the columns the warehouse needs
-- (codes, value, unit, quality flag; labels are dropped). {columns} and {spec} are filled in from
-- the file's own header, as quoted identifiers.
CREATE OR REPLACE TABLE flat_file AS
SELECT {columns}
FROM read_csv($path, delim = ';', header = true, auto_detect = false, quote = '"', escape = '"', columns = {spec});
