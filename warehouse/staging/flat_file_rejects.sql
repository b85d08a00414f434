-- Only when the contract rejected rows: the file's rows as text with their position, for pandera to
-- report on (one more read of the file, on the failure path only).
CREATE OR REPLACE TABLE flat_file_text AS SELECT * EXCLUDE (variables_ok) FROM flat_file_rows;
CREATE OR REPLACE VIEW flat_file_rows_indexed AS SELECT rowid AS row_index, * FROM flat_file_text;
