-- Rows of the staged file that break the flat file contract (reported from the text if any).
SELECT count(*) FILTER (WHERE NOT contract_ok) FROM staged_flat_observations;
