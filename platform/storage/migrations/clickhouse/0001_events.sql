-- Behavioural events, pseudonymous and without free text: one row per record on the data flow.
-- ReplacingMergeTree on record_id: a record delivered twice (at-least-once) collapses on merge.
-- Runs on ClickHouse 18.16 and current: no TTL (retention drops old monthly partitions).
CREATE TABLE IF NOT EXISTS {db}.events (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  topic String,
  event_type String,
  channel String,
  record_id String,
  workflow_id String,
  workflow_version UInt32,
  score Float64,
  attr_keys Array(String),
  attr_values Array(String)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_type, event_date, patient_id, record_id);

-- Daily counts per organisation and event type, kept summed as rows arrive.
CREATE TABLE IF NOT EXISTS {db}.events_daily (
  event_date Date,
  organization_id String,
  topic String,
  event_type String,
  events UInt64
) ENGINE = SummingMergeTree(events)
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, topic, event_type, event_date);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.events_daily_mv TO {db}.events_daily AS
SELECT event_date, organization_id, topic, event_type, toUInt64(count()) AS events
FROM {db}.events
GROUP BY event_date, organization_id, topic, event_type;
