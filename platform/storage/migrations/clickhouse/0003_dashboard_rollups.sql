-- Dashboard rollups: the shared views' cells, recomputed exactly by the analytics sink each refresh
-- round (stream-processors/analytics-sink/dashboards.ts) from the duplicate-proof aggregate states,
-- so a dashboard reads a few thousand small rows instead of merging millions of distinct-id states.
-- Each recomputation writes a newer version of its cells (ReplacingMergeTree(version), read FINAL),
-- so refreshing twice, or from two sink instances at once, changes nothing.
-- Runs on ClickHouse 18.16 and current: no TTL, no LowCardinality, UNION ALL in views, tuple NOT IN.

CREATE TABLE IF NOT EXISTS {db}.dashboard_engagement_daily (
  event_date Date,
  organization_id String,
  channel String,
  patients UInt64,
  inbound_messages UInt64,
  outbound_messages UInt64,
  doses_recorded UInt64,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, channel);

CREATE TABLE IF NOT EXISTS {db}.dashboard_adherence_monthly (
  event_month Date,
  organization_id String,
  cohort_month Date,
  medication_class String,
  patients UInt64,
  doses_recorded UInt64,
  doses_taken UInt64,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(event_month)
ORDER BY (organization_id, event_month, cohort_month, medication_class);

CREATE TABLE IF NOT EXISTS {db}.dashboard_response_monthly (
  event_month Date,
  organization_id String,
  channel String,
  hour_of_day UInt8,
  patients UInt64,
  proactive_sent UInt64,
  inbound_messages UInt64,
  reads UInt64,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(event_month)
ORDER BY (organization_id, event_month, channel, hour_of_day);

-- Per organisation and day: how many rows `events` had received (events_daily, duplicates included)
-- when the day's cells were last recomputed. A day whose count moved is recomputed; a recomputed day
-- is recomputed once more a round later (confirmed = 0) so rows still being inserted are included.
CREATE TABLE IF NOT EXISTS {db}.dashboard_refreshes (
  organization_id String,
  event_date Date,
  source_events UInt64,
  confirmed UInt8,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (organization_id, event_date);

-- The shared views read the rollups; days (and months) no refresh has reached yet are computed from
-- the aggregate states, so a view is right before the first round too. Which those are comes from
-- the small events_daily (a positive IN on the states' key prefix: nothing is read once all are
-- refreshed). Cells of < 11 patients never show.
DROP TABLE IF EXISTS {db}.shared_engagement_daily;

CREATE VIEW IF NOT EXISTS {db}.shared_engagement_daily AS
SELECT event_date, organization_id, channel, patients, inbound_messages, outbound_messages, doses_recorded
FROM {db}.dashboard_engagement_daily FINAL
WHERE patients >= 11
UNION ALL
SELECT event_date, organization_id, channel,
  uniqExactMerge(patients_state) AS patients,
  uniqExactMergeIf(records_state, activity = 'inbound') AS inbound_messages,
  uniqExactMergeIf(records_state, activity = 'outbound') AS outbound_messages,
  uniqExactMergeIf(records_state, activity = 'dose_recorded') AS doses_recorded
FROM {db}.engagement_daily
WHERE (organization_id, event_date) IN (
  SELECT organization_id, event_date FROM {db}.events_daily
  WHERE (organization_id, event_date) NOT IN (SELECT organization_id, event_date FROM {db}.dashboard_refreshes))
GROUP BY event_date, organization_id, channel
HAVING patients >= 11;

DROP TABLE IF EXISTS {db}.shared_adherence_by_cohort;

CREATE VIEW IF NOT EXISTS {db}.shared_adherence_by_cohort AS
SELECT organization_id, cohort_month, event_month, medication_class, patients, doses_recorded, doses_taken,
  round(doses_taken / doses_recorded, 4) AS adherence
FROM (
  SELECT organization_id, cohort_month, event_month, medication_class, patients, doses_recorded, doses_taken
  FROM {db}.dashboard_adherence_monthly FINAL
  UNION ALL
  SELECT organization_id, cohort_month, event_month, medication_class,
    count() AS patients, sum(recorded) AS doses_recorded, sum(taken) AS doses_taken
  FROM (
    SELECT organization_id, patient_id, event_month, medication_class,
      uniqExactMergeIf(records_state, outcome IN ('taken', 'missed')) AS recorded,
      uniqExactMergeIf(records_state, outcome = 'taken') AS taken
    FROM {db}.adherence_monthly
    WHERE (organization_id, event_month) IN (
      SELECT organization_id, toStartOfMonth(event_date) FROM {db}.events_daily
      WHERE (organization_id, toStartOfMonth(event_date)) NOT IN (SELECT organization_id, toStartOfMonth(event_date) FROM {db}.dashboard_refreshes))
    GROUP BY organization_id, patient_id, event_month, medication_class
    HAVING recorded > 0
  ) ANY LEFT JOIN (
    SELECT organization_id, patient_id, toStartOfMonth(minMerge(first_seen_state)) AS cohort_month
    FROM {db}.patient_first_seen
    WHERE organization_id IN (
      SELECT organization_id FROM {db}.events_daily
      WHERE (organization_id, toStartOfMonth(event_date)) NOT IN (SELECT organization_id, toStartOfMonth(event_date) FROM {db}.dashboard_refreshes))
    GROUP BY organization_id, patient_id
  ) USING (organization_id, patient_id)
  GROUP BY organization_id, cohort_month, event_month, medication_class
)
WHERE patients >= 11;

-- Response by hour of day now has a cell per month: distinct patients do not add up across months,
-- and a month's cells are recomputed in bounded time however long the history grows.
DROP TABLE IF EXISTS {db}.shared_response_by_hour;

CREATE VIEW IF NOT EXISTS {db}.shared_response_by_hour AS
SELECT organization_id, event_month, channel, hour_of_day, patients, proactive_sent, inbound_messages, reads
FROM {db}.dashboard_response_monthly FINAL
WHERE patients >= 11
UNION ALL
SELECT organization_id, toStartOfMonth(event_date) AS event_month, channel, hour_of_day,
  uniqExactMerge(patients_state) AS patients,
  uniqExactMergeIf(records_state, activity = 'proactive') AS proactive_sent,
  uniqExactMergeIf(records_state, activity = 'inbound') AS inbound_messages,
  uniqExactMergeIf(records_state, activity = 'read') AS reads
FROM {db}.response_hourly
WHERE (organization_id, event_date) IN (
  SELECT organization_id, event_date FROM {db}.events_daily
  WHERE (organization_id, toStartOfMonth(event_date)) NOT IN (SELECT organization_id, toStartOfMonth(event_date) FROM {db}.dashboard_refreshes))
GROUP BY organization_id, event_month, channel, hour_of_day
HAVING patients >= 11;
