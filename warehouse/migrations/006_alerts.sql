-- Threshold alerts: one row per (rule, country, flow, month, kind) raised, and per channel whether
-- it was delivered. alert_rules remembers up to which load each rule was evaluated.
CREATE TABLE alerts (
    alert_id           BIGINT NOT NULL,
    rule               VARCHAR NOT NULL,
    country_code       VARCHAR NOT NULL,
    flow               VARCHAR NOT NULL,
    month              DATE NOT NULL,
    metric             VARCHAR NOT NULL,
    metric_value       DOUBLE,
    threshold          DOUBLE NOT NULL,
    value_eur          DECIMAL(38, 3),
    previous_value_eur DECIMAL(38, 3),
    kind               VARCHAR NOT NULL,
    raised_at          TIMESTAMP NOT NULL,
    delivered_at       TIMESTAMP,
    attempts           INTEGER NOT NULL,
    last_error         VARCHAR
);

COMMENT ON TABLE alerts IS 'Threshold alerts: one per rule, country, flow and month crossing (plus one when a revision clears it).';
COMMENT ON COLUMN alerts.alert_id IS 'Identifier of the alert.';
COMMENT ON COLUMN alerts.rule IS 'Name of the rule in [[alerts.rules]].';
COMMENT ON COLUMN alerts.country_code IS 'Partner country as STLAH key.';
COMMENT ON COLUMN alerts.flow IS 'export or import.';
COMMENT ON COLUMN alerts.month IS 'The month that crossed (or cleared) the threshold.';
COMMENT ON COLUMN alerts.metric IS 'yoy_pct or mom_pct.';
COMMENT ON COLUMN alerts.metric_value IS 'The metric when the alert was raised, in percent.';
COMMENT ON COLUMN alerts.threshold IS 'The rule fires when metric <= threshold.';
COMMENT ON COLUMN alerts.value_eur IS 'Value of the month in EUR when the alert was raised.';
COMMENT ON COLUMN alerts.previous_value_eur IS 'For revisions: the value of the month before the revision.';
COMMENT ON COLUMN alerts.kind IS 'crossed (first publication), revised (a revision made it cross), cleared (a revision lifted it back), historical (found on the first load; sent as one digest).';
COMMENT ON COLUMN alerts.raised_at IS 'When the alert was raised (UTC).';
COMMENT ON COLUMN alerts.delivered_at IS 'When every channel had received it (UTC); NULL while any delivery is pending.';
COMMENT ON COLUMN alerts.attempts IS 'Delivery attempts so far.';
COMMENT ON COLUMN alerts.last_error IS 'The last delivery error (channel URLs shown without secrets).';

CREATE TABLE alert_deliveries (
    alert_id     BIGINT NOT NULL,
    channel      VARCHAR NOT NULL,
    delivered_at TIMESTAMP NOT NULL
);

COMMENT ON TABLE alert_deliveries IS 'Which channel received which alert, so a retry never sends twice to a channel that already has it.';
COMMENT ON COLUMN alert_deliveries.alert_id IS 'The alert.';
COMMENT ON COLUMN alert_deliveries.channel IS 'sha256 of the channel URL (the URL may hold secrets and is never stored).';
COMMENT ON COLUMN alert_deliveries.delivered_at IS 'When the channel accepted it (UTC).';

CREATE TABLE alert_rules (
    rule                VARCHAR NOT NULL,
    fingerprint         VARCHAR NOT NULL,
    evaluated_through   TIMESTAMP
);

COMMENT ON TABLE alert_rules IS 'Each configured rule and the last load it was evaluated against; a new or changed rule starts with a historical digest.';
COMMENT ON COLUMN alert_rules.rule IS 'Name of the rule.';
COMMENT ON COLUMN alert_rules.fingerprint IS 'Hash of the rule definition; a change starts the rule afresh.';
COMMENT ON COLUMN alert_rules.evaluated_through IS 'valid_from of the newest observation the rule has seen (UTC).';
