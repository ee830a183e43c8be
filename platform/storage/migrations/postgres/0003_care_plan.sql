-- What a patient takes and when: used by intent (medication names as entities) and dialogue.
-- Pseudonymous patient id only; the patient's identity lives in the vault.
CREATE TABLE patient_medications (
  id               text PRIMARY KEY,
  patient_id       text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  organization_id  text NOT NULL REFERENCES organizations(id),
  name             text NOT NULL,
  dose             text NOT NULL DEFAULT '',
  schedule_times   text[] NOT NULL DEFAULT '{}',   -- local times, 'HH:MM'
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patient_medications_patient_idx ON patient_medications (patient_id) WHERE active;

-- Adherence as recorded by the dialogue's actions (the action log is the topic; this is the state).
CREATE TABLE adherence_events (
  id               text PRIMARY KEY,                -- the action id: replays do not double count
  patient_id       text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  organization_id  text NOT NULL REFERENCES organizations(id),
  medication_id    text,
  taken            boolean NOT NULL,
  occurred_at      timestamptz NOT NULL
);
CREATE INDEX adherence_events_patient_idx ON adherence_events (patient_id, occurred_at);
