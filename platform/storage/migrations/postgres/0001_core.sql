-- The system of record. Patients appear here only by pseudonymous id; identifiers live in the vault.
CREATE TABLE organizations (
  id            text PRIMARY KEY,
  slug          text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  timezone      text NOT NULL DEFAULT 'UTC',
  languages     text[] NOT NULL DEFAULT ARRAY['en'],
  emergency_number text NOT NULL DEFAULT '911',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE patients (
  id               text PRIMARY KEY,            -- pseudonymous id, used on every topic and store
  organization_id  text NOT NULL REFERENCES organizations(id),
  preferred_language text NOT NULL DEFAULT 'en',
  timezone         text,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'opted_out', 'erased')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_org_idx ON patients (organization_id);

CREATE TABLE consents (
  patient_id       text NOT NULL REFERENCES patients(id),
  organization_id  text NOT NULL REFERENCES organizations(id),
  channel          text NOT NULL CHECK (channel IN ('web', 'sms')),
  granted          boolean NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  source           text NOT NULL,
  PRIMARY KEY (patient_id, channel)
);

CREATE TABLE workflow_versions (
  organization_id  text NOT NULL REFERENCES organizations(id),
  workflow_id      text NOT NULL,
  version          integer NOT NULL CHECK (version > 0),
  source           text NOT NULL,
  compiled         jsonb,
  author           text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  published_at     timestamptz,
  PRIMARY KEY (organization_id, workflow_id, version)
);
