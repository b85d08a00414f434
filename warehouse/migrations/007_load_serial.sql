-- One row that every load updates. DuckLake enforces no unique keys and lets two transactions
-- append to a table at once, so two loads could both insert the same new vintage. Because both
-- also update this row, they conflict at commit and the second runs again against the first's
-- result (warehouse/transactions.py): loads are serialised on every backend.
CREATE TABLE load_serial (
    loads        BIGINT NOT NULL,
    last_load_at TIMESTAMP
);
INSERT INTO load_serial (loads, last_load_at) VALUES (0, NULL);

COMMENT ON TABLE load_serial IS 'One row, updated by every load, so concurrent loads of a DuckLake warehouse conflict instead of both inserting.';
COMMENT ON COLUMN load_serial.loads IS 'Number of loads committed.';
COMMENT ON COLUMN load_serial.last_load_at IS 'When the last load committed its data (UTC).';
