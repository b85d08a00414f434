-- Two machines sharing a DuckLake warehouse can deliver alerts at the same moment. Before sending,
-- a process claims the alerts for a while in a transaction of its own; the other process's claim
-- conflicts at commit, runs again, finds them claimed and leaves them alone. A claim that outlives
-- a crashed sender expires, so the alerts go out on a later run.
ALTER TABLE alerts ADD COLUMN delivery_claimed_until TIMESTAMP;

COMMENT ON COLUMN alerts.delivery_claimed_until IS 'A process is sending this alert until then (UTC); NULL when nobody is. Keeps two machines from sending it twice.';
