-- One failing row of a validation, in the order of the tuples record_quality_issues receives.
INSERT INTO quality_issues (detected_at, run_id, table_code, sha256, schema_name, check_name, column_name, failure_case, row_index)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
