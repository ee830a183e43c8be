-- The analytics model (docs/analytics.md): fact tables and aggregates derived from `events` by
-- materialized views, so the sink makes one insert and every table sees the same rows.
-- Facts are ReplacingMergeTree on their record id: a redelivered record collapses on merge (read with FINAL).
-- Aggregates keep exact distinct-id states (uniqExact), so a redelivered record is never counted twice.
-- Runs on ClickHouse 18.16 and current: no TTL, no LowCardinality, ANY LEFT JOIN ... USING, no aliases shadowing columns.

CREATE TABLE IF NOT EXISTS {db}.messages (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  message_id String,
  direction String,
  channel String,
  kind String,
  workflow_id String,
  workflow_version UInt32,
  template_id String,
  variant_id String,
  reply_to String,
  hour_of_day UInt8,
  weekday UInt8
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, message_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.messages_mv TO {db}.messages AS
SELECT event_date, event_time, organization_id, patient_id, record_id AS message_id,
  if(topic = 'chat.inbound', 'in', 'out') AS direction, channel,
  if(topic = 'chat.inbound', 'PATIENT', attr_values[indexOf(attr_keys, 'kind')]) AS kind,
  workflow_id, workflow_version,
  attr_values[indexOf(attr_keys, 'template')] AS template_id,
  attr_values[indexOf(attr_keys, 'variant')] AS variant_id,
  attr_values[indexOf(attr_keys, 'reply_to')] AS reply_to,
  toUInt8(toHour(event_time)) AS hour_of_day, toUInt8(toDayOfWeek(event_time)) AS weekday
FROM {db}.events
WHERE topic IN ('chat.inbound', 'chat.outbound');

CREATE TABLE IF NOT EXISTS {db}.message_intents (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  message_id String,
  channel String,
  intent String,
  language String,
  confidence Float64,
  latency_ms UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, message_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_intents_mv TO {db}.message_intents AS
SELECT event_date, event_time, organization_id, patient_id, record_id AS message_id, channel,
  attr_values[indexOf(attr_keys, 'intent')] AS intent,
  attr_values[indexOf(attr_keys, 'language')] AS language,
  score AS confidence,
  toUInt32OrZero(attr_values[indexOf(attr_keys, 'latency_ms')]) AS latency_ms
FROM {db}.events
WHERE event_type = 'intent_detected';

CREATE TABLE IF NOT EXISTS {db}.reminders (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  signal_id String,
  kind String,
  occurrence_id String,
  medication_ref String,
  medication_class String,
  hour_of_day UInt8
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, signal_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.reminders_mv TO {db}.reminders AS
SELECT event_date, event_time, organization_id, patient_id, record_id AS signal_id,
  substring(event_type, 8) AS kind,
  attr_values[indexOf(attr_keys, 'occurrence_id')] AS occurrence_id,
  attr_values[indexOf(attr_keys, 'medication_id')] AS medication_ref,
  if(indexOf(attr_keys, 'medication_class') = 0, 'unclassified', attr_values[indexOf(attr_keys, 'medication_class')]) AS medication_class,
  toUInt8(toHour(event_time)) AS hour_of_day
FROM {db}.events
WHERE event_type IN ('signal.dose_due', 'signal.refill_due');

CREATE TABLE IF NOT EXISTS {db}.dose_outcomes (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  action_id String,
  medication_ref String,
  medication_class String,
  taken Int8,
  late UInt8,
  workflow_id String,
  workflow_version UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, action_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.dose_outcomes_mv TO {db}.dose_outcomes AS
SELECT event_date, event_time, organization_id, patient_id, record_id AS action_id,
  attr_values[indexOf(attr_keys, 'medication_id')] AS medication_ref,
  if(indexOf(attr_keys, 'medication_class') = 0, 'unclassified', attr_values[indexOf(attr_keys, 'medication_class')]) AS medication_class,
  toInt8(multiIf(attr_values[indexOf(attr_keys, 'taken')] = 'true', 1, attr_values[indexOf(attr_keys, 'taken')] = 'false', 0, -1)) AS taken,
  toUInt8(attr_values[indexOf(attr_keys, 'late')] = 'true') AS late,
  workflow_id, workflow_version
FROM {db}.events
WHERE event_type = 'action.record_adherence';

CREATE TABLE IF NOT EXISTS {db}.deliveries (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  message_id String,
  channel String,
  status String,
  attempt UInt32,
  error_code String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, message_id, status, attempt);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.deliveries_mv TO {db}.deliveries AS
SELECT event_date, event_time, organization_id, patient_id,
  splitByChar(':', record_id)[1] AS message_id, channel,
  substring(event_type, 10) AS status,
  toUInt32OrZero(attr_values[indexOf(attr_keys, 'attempt')]) AS attempt,
  attr_values[indexOf(attr_keys, 'error_code')] AS error_code
FROM {db}.events
WHERE topic = 'delivery.status';

-- Steps of a booking: requested (the workflow's book_appointment), offered, booked, cancelled, failed.
CREATE TABLE IF NOT EXISTS {db}.bookings (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  record_id String,
  step String,
  appointment_ref String,
  visit_type String,
  service_code String,
  starts_at DateTime,
  lead_hours Int32,
  workflow_id String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, record_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.bookings_mv TO {db}.bookings AS
SELECT event_date, event_time, organization_id, patient_id, record_id,
  multiIf(event_type = 'action.book_appointment', 'requested', event_type = 'signal.appointment_slots_offered', 'offered',
    event_type = 'signal.appointment_booked', 'booked', event_type = 'signal.appointment_cancelled', 'cancelled', 'failed') AS step,
  attr_values[indexOf(attr_keys, 'appointment_id')] AS appointment_ref,
  attr_values[indexOf(attr_keys, 'visit')] AS visit_type,
  attr_values[indexOf(attr_keys, 'service_code')] AS service_code,
  toDateTime(toUInt32(parseDateTimeBestEffortOrZero(attr_values[indexOf(attr_keys, 'starts_at')]))) AS starts_at,
  if(toUInt32(starts_at) = 0, 0, toInt32((toInt64(toUInt32(starts_at)) - toInt64(toUInt32(event_time))) / 3600)) AS lead_hours,
  workflow_id
FROM {db}.events
WHERE event_type IN ('action.book_appointment', 'signal.appointment_slots_offered', 'signal.appointment_booked', 'signal.appointment_cancelled', 'signal.appointment_failed');

-- One row per message sent with a chosen variant; propensity is the probability the policy gave it (0: not logged).
CREATE TABLE IF NOT EXISTS {db}.experiment_assignments (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  message_id String,
  experiment String,
  variant_id String,
  propensity Float64,
  segment String,
  channel String,
  workflow_id String,
  workflow_version UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, experiment, event_date, patient_id, message_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.experiment_assignments_mv TO {db}.experiment_assignments AS
SELECT event_date, event_time, organization_id, patient_id, record_id AS message_id,
  if(workflow_id = '', attr_values[indexOf(attr_keys, 'template')], concat(workflow_id, '/', attr_values[indexOf(attr_keys, 'template')])) AS experiment,
  attr_values[indexOf(attr_keys, 'variant')] AS variant_id,
  toFloat64OrZero(attr_values[indexOf(attr_keys, 'propensity')]) AS propensity,
  attr_values[indexOf(attr_keys, 'segment')] AS segment,
  channel, workflow_id, workflow_version
FROM {db}.events
WHERE topic = 'chat.outbound' AND indexOf(attr_keys, 'variant') > 0;

-- Rewards the workflow defines (replied, confirmed taken, booked), one row per rewarded assignment and reward.
CREATE TABLE IF NOT EXISTS {db}.experiment_rewards (
  event_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  record_id String,
  message_id String,
  reward String,
  value Float64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, patient_id, record_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.experiment_rewards_mv TO {db}.experiment_rewards AS
SELECT event_date, event_time, organization_id, patient_id, record_id,
  attr_values[indexOf(attr_keys, 'message_id')] AS message_id,
  attr_values[indexOf(attr_keys, 'reward')] AS reward,
  if(indexOf(attr_keys, 'value') = 0, 1., toFloat64OrZero(attr_values[indexOf(attr_keys, 'value')])) AS value
FROM {db}.events
WHERE event_type = 'action.experiment_reward';

-- A patient's profile as of a day: bands and rates only (age band, sex, never a birth date or zip).
CREATE TABLE IF NOT EXISTS {db}.profile_snapshots (
  snapshot_date Date,
  event_time DateTime,
  organization_id String,
  patient_id String,
  record_id String,
  segment String,
  risk_band String,
  risk_score Float64,
  age_band String,
  sex String,
  language String,
  preferred_channel String,
  pdc_30d Float64,
  response_rate_30d Float64
) ENGINE = ReplacingMergeTree(event_time)
PARTITION BY toYYYYMM(snapshot_date)
ORDER BY (organization_id, snapshot_date, patient_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.profile_snapshots_mv TO {db}.profile_snapshots AS
SELECT event_date AS snapshot_date, event_time, organization_id, patient_id, record_id,
  attr_values[indexOf(attr_keys, 'segment')] AS segment,
  attr_values[indexOf(attr_keys, 'risk_band')] AS risk_band,
  score AS risk_score,
  attr_values[indexOf(attr_keys, 'age_band')] AS age_band,
  attr_values[indexOf(attr_keys, 'sex')] AS sex,
  attr_values[indexOf(attr_keys, 'language')] AS language,
  attr_values[indexOf(attr_keys, 'preferred_channel')] AS preferred_channel,
  toFloat64OrZero(attr_values[indexOf(attr_keys, 'pdc_30d')]) AS pdc_30d,
  toFloat64OrZero(attr_values[indexOf(attr_keys, 'response_rate_30d')]) AS response_rate_30d
FROM {db}.events
WHERE event_type = 'profile.snapshot';

-- Aggregates for dashboards. What is counted is a key column (activity, outcome) and the states are
-- exact distinct ids, so a redelivered record is never counted twice (and no -If state types,
-- whose names differ between 18.16 and current servers). Record ids are kept as 64-bit hashes: half
-- the memory of a string state and faster merges; a collision among 10^8 ids has odds below 10^-3.
-- Small granules (128 rows): a row's states weigh kilobytes, and a dashboard reads one organisation.
CREATE TABLE IF NOT EXISTS {db}.engagement_daily (
  event_date Date,
  organization_id String,
  channel String,
  activity String,
  records_state AggregateFunction(uniqExact, UInt64),
  patients_state AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, channel, activity)
SETTINGS index_granularity = 128;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.engagement_daily_mv TO {db}.engagement_daily AS
SELECT event_date, organization_id, channel,
  multiIf(topic = 'chat.inbound', 'inbound', topic = 'chat.outbound', 'outbound', 'dose_recorded') AS activity,
  uniqExactState(cityHash64(record_id)) AS records_state,
  uniqExactState(patient_id) AS patients_state
FROM {db}.events
WHERE topic IN ('chat.inbound', 'chat.outbound') OR event_type = 'action.record_adherence'
GROUP BY event_date, organization_id, channel, activity;

CREATE TABLE IF NOT EXISTS {db}.patient_first_seen (
  organization_id String,
  patient_id String,
  first_seen_state AggregateFunction(min, Date)
) ENGINE = AggregatingMergeTree()
ORDER BY (organization_id, patient_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.patient_first_seen_mv TO {db}.patient_first_seen AS
SELECT organization_id, patient_id, minState(event_date) AS first_seen_state
FROM {db}.events
WHERE patient_id != ''
GROUP BY organization_id, patient_id;

CREATE TABLE IF NOT EXISTS {db}.adherence_monthly (
  event_month Date,
  organization_id String,
  medication_class String,
  patient_id String,
  outcome String,
  records_state AggregateFunction(uniqExact, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(event_month)
ORDER BY (organization_id, event_month, medication_class, patient_id, outcome)
SETTINGS index_granularity = 128;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.adherence_monthly_mv TO {db}.adherence_monthly AS
SELECT toStartOfMonth(event_date) AS event_month, organization_id,
  if(indexOf(attr_keys, 'medication_class') = 0, 'unclassified', attr_values[indexOf(attr_keys, 'medication_class')]) AS medication_class,
  patient_id,
  multiIf(attr_values[indexOf(attr_keys, 'taken')] = 'true', 'taken', attr_values[indexOf(attr_keys, 'taken')] = 'false', 'missed', 'unknown') AS outcome,
  uniqExactState(cityHash64(record_id)) AS records_state
FROM {db}.events
WHERE event_type = 'action.record_adherence'
GROUP BY event_month, organization_id, medication_class, patient_id, outcome;

CREATE TABLE IF NOT EXISTS {db}.response_hourly (
  event_date Date,
  organization_id String,
  channel String,
  hour_of_day UInt8,
  activity String,
  records_state AggregateFunction(uniqExact, UInt64),
  patients_state AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(event_date)
ORDER BY (organization_id, event_date, channel, hour_of_day, activity)
SETTINGS index_granularity = 128;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.response_hourly_mv TO {db}.response_hourly AS
SELECT event_date, organization_id, channel, toUInt8(toHour(event_time)) AS hour_of_day,
  multiIf(topic = 'chat.inbound', 'inbound', event_type = 'delivery.read', 'read', attr_values[indexOf(attr_keys, 'kind')] = 'PROACTIVE', 'proactive', 'reply') AS activity,
  uniqExactState(cityHash64(record_id)) AS records_state,
  uniqExactState(patient_id) AS patients_state
FROM {db}.events
WHERE topic IN ('chat.inbound', 'chat.outbound') OR event_type = 'delivery.read'
GROUP BY event_date, organization_id, channel, hour_of_day, activity;

-- Shared views: aggregates only, no patient id, and every cell of fewer than 11 patients suppressed.
CREATE VIEW IF NOT EXISTS {db}.shared_engagement_daily AS
SELECT event_date, organization_id, channel,
  uniqExactMerge(patients_state) AS patients,
  uniqExactMergeIf(records_state, activity = 'inbound') AS inbound_messages,
  uniqExactMergeIf(records_state, activity = 'outbound') AS outbound_messages,
  uniqExactMergeIf(records_state, activity = 'dose_recorded') AS doses_recorded
FROM {db}.engagement_daily
GROUP BY event_date, organization_id, channel
HAVING patients >= 11;

CREATE VIEW IF NOT EXISTS {db}.shared_adherence_by_cohort AS
SELECT organization_id, cohort_month, event_month, medication_class,
  count() AS patients, sum(recorded) AS doses_recorded, sum(taken) AS doses_taken,
  round(sum(taken) / sum(recorded), 4) AS adherence
FROM (
  SELECT organization_id, patient_id, event_month, medication_class,
    uniqExactMergeIf(records_state, outcome IN ('taken', 'missed')) AS recorded,
    uniqExactMergeIf(records_state, outcome = 'taken') AS taken
  FROM {db}.adherence_monthly
  GROUP BY organization_id, patient_id, event_month, medication_class
  HAVING recorded > 0
) ANY LEFT JOIN (
  SELECT organization_id, patient_id, toStartOfMonth(minMerge(first_seen_state)) AS cohort_month
  FROM {db}.patient_first_seen
  GROUP BY organization_id, patient_id
) USING (organization_id, patient_id)
GROUP BY organization_id, cohort_month, event_month, medication_class
HAVING patients >= 11;

CREATE VIEW IF NOT EXISTS {db}.shared_response_by_hour AS
SELECT organization_id, channel, hour_of_day,
  uniqExactMerge(patients_state) AS patients,
  uniqExactMergeIf(records_state, activity = 'proactive') AS proactive_sent,
  uniqExactMergeIf(records_state, activity = 'inbound') AS inbound_messages,
  uniqExactMergeIf(records_state, activity = 'read') AS reads
FROM {db}.response_hourly
GROUP BY organization_id, channel, hour_of_day
HAVING patients >= 11;
