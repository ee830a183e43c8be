-- The reminder engine's source of truth: every planned occurrence (a dose or a refill due), so a Redis
-- flush loses nothing. Ids are plan item + time ('dose_due:<care-plan id>:<UTC instant>'): re-planning
-- and redelivery reuse them. Pseudonymous ids and times only; no medication names.
CREATE SCHEMA IF NOT EXISTS reminders;

-- deployment = the topic prefix, as for workflow timers: deployments (and test runs) sharing a database
-- each plan and dispatch their own.
CREATE TABLE reminders.occurrences (
  deployment       text NOT NULL DEFAULT '',
  id               text NOT NULL,
  organization_id  text NOT NULL,
  patient_id       text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('dose_due', 'refill_due')),
  plan_item_id     text NOT NULL,                 -- patient_medications.id (doses) or the dispense id (refills)
  medication_id    text,                          -- the care-plan id the signal names (never the medication's name)
  due_at           timestamptz NOT NULL,
  shard            integer NOT NULL,
  -- pending: not yet in the due index; indexed: in Redis; dispatched: the signal is on Kafka; cancelled: re-planned away
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'indexed', 'dispatched', 'cancelled')),
  dispatched_at    timestamptz,
  deliveries       integer NOT NULL DEFAULT 0,     -- signals published for it (more than 1: a redelivery after a crash)
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (deployment, id)
);
CREATE INDEX reminders_occurrences_pending_idx ON reminders.occurrences (deployment, shard, due_at) WHERE state = 'pending';
CREATE INDEX reminders_occurrences_indexed_idx ON reminders.occurrences (deployment) WHERE state = 'indexed';
CREATE INDEX reminders_occurrences_patient_idx ON reminders.occurrences (deployment, patient_id, due_at);

-- How far each patient has been planned, so the sweep extends only those falling behind the horizon.
CREATE TABLE reminders.plans (
  deployment       text NOT NULL DEFAULT '',
  patient_id       text NOT NULL,
  organization_id  text NOT NULL,
  planned_until    timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (deployment, patient_id)
);

-- The organisation's routine for vague timings ("twice a day"), as overrides of the built-in one:
-- {"moments": {"breakfast": "07:30"}, "daily": {"2": ["09:00", "21:00"]}}.
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS reminder_routine jsonb NOT NULL DEFAULT '{}';
