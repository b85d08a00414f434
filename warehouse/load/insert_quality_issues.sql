-- One failing row of a validation.
INSERT INTO quality_issues (detected_at, run_id, table_code, sha256, schema_name, check_name, column_name, failure_case, row_index)
VALUES ($detected_at, $run_id, $table_code, $sha256, $schema_name, $check_name, $column_name, $failure_case, $row_index)
