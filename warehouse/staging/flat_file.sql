-- Staging, step 1: the flat file as a view (nothing is read yet), keeping only the columns the
-- warehouse needs (codes, value, unit, quality flag; labels are dropped), all as text.
-- A view takes no bound parameters, so slots (warehouse/README.md, Writing SQL here) are filled in:
-- path, columns and spec from the file's own header, quoted; max_line_size from [limits] line_bytes.
CREATE OR REPLACE VIEW flat_file AS
SELECT {{columns}}
FROM read_csv({{path}}, delim = ';', header = true, auto_detect = false, quote = '"', escape = '"', columns = {{spec}},
              max_line_size = {{max_line_size}});
