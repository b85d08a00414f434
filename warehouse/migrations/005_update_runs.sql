-- Run log and validation failures. These two tables are the only ones a failed run writes to:
-- they are its report. The data tables above stay exactly as they were.
CREATE TABLE update_runs (
    run_id          VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    status          VARCHAR NOT NULL,
    requests        INTEGER NOT NULL,
    rows_inserted   BIGINT NOT NULL,
    rows_closed     BIGINT NOT NULL,
    error           VARCHAR
);

COMMENT ON TABLE update_runs IS 'One row per update run: outcome, requests made, rows written, and the error of a failed run.';
COMMENT ON COLUMN update_runs.run_id IS 'Identifier of the run (the Prefect flow run id when run as a flow).';
COMMENT ON COLUMN update_runs.started_at IS 'Start of the run (UTC).';
COMMENT ON COLUMN update_runs.finished_at IS 'End of the run (UTC).';
COMMENT ON COLUMN update_runs.status IS 'loaded, unchanged or failed.';
COMMENT ON COLUMN update_runs.requests IS 'HTTP requests sent to GENESIS.';
COMMENT ON COLUMN update_runs.rows_inserted IS 'Observation rows inserted (new values and new vintages).';
COMMENT ON COLUMN update_runs.rows_closed IS 'Observation rows closed by a revision.';
COMMENT ON COLUMN update_runs.error IS 'The error of a failed run.';

CREATE TABLE quality_issues (
    detected_at     TIMESTAMP NOT NULL,
    run_id          VARCHAR NOT NULL,
    table_code      VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    schema_name     VARCHAR NOT NULL,
    check_name      VARCHAR NOT NULL,
    column_name     VARCHAR,
    failure_case    VARCHAR,
    row_index       BIGINT
);

COMMENT ON TABLE quality_issues IS 'Validation failures of rejected responses (nothing of such a response is loaded); sha256 names the archived body.';
COMMENT ON COLUMN quality_issues.detected_at IS 'When the failure was found (UTC).';
COMMENT ON COLUMN quality_issues.run_id IS 'The run that rejected the response.';
COMMENT ON COLUMN quality_issues.table_code IS 'GENESIS table.';
COMMENT ON COLUMN quality_issues.sha256 IS 'sha256 of the rejected response body in the archive.';
COMMENT ON COLUMN quality_issues.schema_name IS 'Pandera schema that failed: FlatFileRows or Observations.';
COMMENT ON COLUMN quality_issues.check_name IS 'The failed check.';
COMMENT ON COLUMN quality_issues.column_name IS 'The column checked, if any.';
COMMENT ON COLUMN quality_issues.failure_case IS 'The offending value.';
COMMENT ON COLUMN quality_issues.row_index IS 'Data row of the flat file (0 = first row after the header).';
