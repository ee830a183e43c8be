-- Care data brought in by FHIR R4, per organisation, under our own pseudonymous ids. The original
-- resource is kept sealed (AES-256-GCM under the organisation's data key, key id beside it); the typed
-- tables hold only what routing and scheduling read: ids, statuses, times, timing, positions.
-- Source ids and identifiers appear only as keyed digests (HMAC under the organisation's index key).
CREATE SCHEMA IF NOT EXISTS care;

CREATE TABLE care.resources (
  organization_id  text NOT NULL,
  resource_type    text NOT NULL,
  id               text NOT NULL,                 -- ours: pt_… for patients, <prefix>_<base62> otherwise
  source_digest    bytea,                         -- HMAC of the sender's "Type/id", for references and re-imports
  content_digest   bytea NOT NULL,                -- HMAC of the canonical incoming resource: unchanged re-imports are skipped
  patient_id       text,                          -- the patient it is about, when it is about one
  key_id           text NOT NULL,
  sealed           bytea NOT NULL,                -- nonce || ciphertext+tag of the resource JSON (ids rewritten to ours)
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, resource_type, id)
);
CREATE UNIQUE INDEX care_resources_source_idx ON care.resources (organization_id, resource_type, source_digest) WHERE source_digest IS NOT NULL;
CREATE INDEX care_resources_patient_idx ON care.resources (organization_id, patient_id, resource_type) WHERE patient_id IS NOT NULL;

-- Business identifiers (system|value) of non-patient resources; patients match through the vault.
CREATE TABLE care.resource_identifiers (
  organization_id  text NOT NULL,
  resource_type    text NOT NULL,
  digest           bytea NOT NULL,
  resource_id      text NOT NULL,
  PRIMARY KEY (organization_id, resource_type, digest)
);
CREATE INDEX care_resource_identifiers_resource_idx ON care.resource_identifiers (organization_id, resource_type, resource_id);

CREATE TABLE care.organizations (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  part_of          text,
  type_codes       text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE care.locations (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  status           text,
  managing_org     text,
  latitude         double precision,
  longitude        double precision,
  opening_hours    jsonb NOT NULL DEFAULT '[]',   -- [{days: [mon…], allDay, opens, closes}]
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE care.practitioners (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE care.practitioner_roles (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  practitioner_id  text,
  of_organization  text,
  location_ids     text[] NOT NULL DEFAULT '{}',
  service_ids      text[] NOT NULL DEFAULT '{}',
  role_codes       text[] NOT NULL DEFAULT '{}',
  specialty_codes  text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE care.healthcare_services (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  provided_by      text,
  location_ids     text[] NOT NULL DEFAULT '{}',
  category_codes   text[] NOT NULL DEFAULT '{}',
  type_codes       text[] NOT NULL DEFAULT '{}',
  appointment_required boolean,
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE care.schedules (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  actor_refs       text[] NOT NULL DEFAULT '{}',  -- "Type/ourId" of the practitioners, locations, services
  service_type_codes text[] NOT NULL DEFAULT '{}',
  horizon_start    timestamptz,
  horizon_end      timestamptz,
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE care.slots (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  schedule_id      text NOT NULL,
  status           text NOT NULL,
  starts_at        timestamptz NOT NULL,
  ends_at          timestamptz NOT NULL,
  service_type_codes text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX care_slots_free_idx ON care.slots (organization_id, schedule_id, starts_at) WHERE status = 'free';

CREATE TABLE care.related_persons (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  patient_id       text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  relationship_codes text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX care_related_persons_patient_idx ON care.related_persons (organization_id, patient_id);

CREATE TABLE care.consents (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  patient_id       text NOT NULL,
  status           text NOT NULL,
  scope_code       text,
  category_codes   text[] NOT NULL DEFAULT '{}',
  provision_type   text,
  period_start     timestamptz,
  period_end       timestamptz,
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX care_consents_patient_idx ON care.consents (organization_id, patient_id);

-- The prescription's timing in plain (the reminder engine reads it); what is prescribed stays sealed.
CREATE TABLE care.medication_requests (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  patient_id       text NOT NULL,
  status           text NOT NULL,
  intent           text NOT NULL,
  authored_on      timestamptz,
  requester_ref    text,
  timing           jsonb NOT NULL DEFAULT '[]',   -- [{frequency, period, periodUnit, timeOfDay[], dayOfWeek[], boundsStart, boundsEnd, asNeeded}]
  refills_allowed  integer,
  expected_supply_days numeric,
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX care_medication_requests_patient_idx ON care.medication_requests (organization_id, patient_id);

CREATE TABLE care.medication_dispenses (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  patient_id       text NOT NULL,
  request_id       text,
  status           text NOT NULL,
  days_supply      numeric,
  when_prepared    timestamptz,
  when_handed_over timestamptz,
  pharmacy_ref     text,                          -- "Location/…" or "Organization/…" (ours)
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX care_medication_dispenses_patient_idx ON care.medication_dispenses (organization_id, patient_id, when_handed_over);

CREATE TABLE care.appointments (
  organization_id  text NOT NULL,
  id               text NOT NULL,
  patient_id       text,
  status           text NOT NULL,
  starts_at        timestamptz,
  ends_at          timestamptz,
  slot_ids         text[] NOT NULL DEFAULT '{}',
  participant_refs text[] NOT NULL DEFAULT '{}',  -- "Type/ourId" of practitioners, locations, services
  service_type_codes text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX care_appointments_patient_idx ON care.appointments (organization_id, patient_id, starts_at);

-- The hot-path care plan (patient_medications) gets the prescription's sig; 0014 may already have added it.
ALTER TABLE patient_medications ADD COLUMN IF NOT EXISTS instructions text NOT NULL DEFAULT '';
ALTER TABLE patient_medications ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'api';

-- Asynchronous (Bulk-style) imports and exports: progress and outcome, never resource content.
CREATE TABLE care.jobs (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('import', 'export')),
  state            text NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed')),
  requested_by     text NOT NULL,
  progress         jsonb NOT NULL DEFAULT '{}',
  outcome          jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX care_jobs_org_idx ON care.jobs (organization_id, created_at);

-- Appends many audit events of one organisation in one call (a batch import): the same chain step as
-- the single append, looped server-side, so the chain and its verifier are unchanged.
CREATE FUNCTION audit.append_many(org text, contents bytea[], ats timestamptz[], actor_kinds text[], actor_ids text[],
    actor_ips text[], actor_services text[], actions text[], patient_ids text[], purposes text[], outcomes text[],
    reasons text[], fieldss text[], result_counts integer[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  h record;
BEGIN
  INSERT INTO audit.chain_heads (organization_id, last_seq, prev_hash, last_hash)
    VALUES (org, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    ON CONFLICT DO NOTHING;
  FOR i IN 1 .. coalesce(array_length(contents, 1), 0) LOOP
    UPDATE audit.chain_heads
       SET last_seq = last_seq + 1, prev_hash = last_hash, last_hash = sha256(last_hash || int8send(last_seq + 1) || contents[i])
     WHERE organization_id = org
    RETURNING last_seq, prev_hash, last_hash INTO h;
    INSERT INTO audit.events (organization_id, seq, at, actor_kind, actor_id, actor_ip, actor_service, action, patient_id,
                              purpose, outcome, reason, fields, result_count, prev_hash, row_hash)
      VALUES (org, h.last_seq, ats[i], actor_kinds[i], actor_ids[i], actor_ips[i], actor_services[i], actions[i], patient_ids[i],
              purposes[i], outcomes[i], reasons[i], string_to_array(fieldss[i], ','), result_counts[i], h.prev_hash, h.last_hash);
  END LOOP;
  RETURN coalesce(array_length(contents, 1), 0);
END $$;
