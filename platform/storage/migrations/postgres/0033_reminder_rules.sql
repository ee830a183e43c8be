-- The rules around reminders: the patient's own delivery settings, the answers that close each
-- occurrence (adherence is computed from them), caregivers and every contact with one.
-- Pseudonymous ids, codes and times only: no names, medication names or chat text.

-- The patient's own settings: quiet_hours NULL keeps the organisation's; quiet_hours_off turns them off.
CREATE TABLE reminders.patient_settings (
  patient_id       text PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
  organization_id  text NOT NULL,
  quiet_hours      jsonb,                          -- {"start": "HH:MM", "end": "HH:MM"} local
  quiet_hours_off  boolean NOT NULL DEFAULT false,
  daily_cap        integer CHECK (daily_cap IS NULL OR daily_cap >= 0),
  source           text NOT NULL DEFAULT 'chat',   -- chat | api
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The organisation's delivery defaults (quiet hours stay in organizations.reminder_routine.quietHours).
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS reminder_daily_cap integer NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS caregiver_missed_threshold integer NOT NULL DEFAULT 3;

-- The latest answer to one occurrence (taken, skipped, snoozed): the occurrence's outcome follows
-- from it and the due time; a later answer replaces an earlier one ("no", then "yes, now I took it").
CREATE TABLE reminders.answers (
  deployment       text NOT NULL DEFAULT '',
  occurrence_id    text NOT NULL,
  organization_id  text NOT NULL,
  patient_id       text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('taken', 'skipped', 'snoozed')),
  answered_at      timestamptz NOT NULL,
  snoozed_until    timestamptz,
  action_id        text NOT NULL,                  -- the dialogue's action: a replay changes nothing
  PRIMARY KEY (deployment, occurrence_id)
);
CREATE INDEX reminders_answers_patient_idx ON reminders.answers (deployment, patient_id, answered_at);

-- A caregiver the patient named (FHIR RelatedPerson or the API) and what the patient consented to.
-- The caregiver's address lives in the vault; contact_ref names it.
CREATE TABLE reminders.caregivers (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  patient_id       text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  related_person_id text,                          -- care.related_persons.id when it came from FHIR
  channel          text NOT NULL CHECK (channel IN ('sms', 'web')),
  contact_ref      text NOT NULL,
  consented        boolean NOT NULL DEFAULT false,
  scope            text NOT NULL DEFAULT 'missed_doses' CHECK (scope IN ('missed_doses', 'missed_doses_with_medication')),
  opted_out        boolean NOT NULL DEFAULT false,
  active           boolean NOT NULL DEFAULT true,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX reminders_caregivers_patient_idx ON reminders.caregivers (patient_id);

-- Every message to a caregiver: one per run of missed doses (contact_key), also in audit.events.
CREATE TABLE reminders.caregiver_contacts (
  deployment       text NOT NULL DEFAULT '',
  contact_key      text NOT NULL,                  -- caregiver id : last missed occurrence id
  organization_id  text NOT NULL,
  patient_id       text NOT NULL,
  caregiver_id     text NOT NULL,
  template_id      text NOT NULL,
  missed           integer NOT NULL,
  contacted_at     timestamptz NOT NULL,
  PRIMARY KEY (deployment, contact_key)
);
