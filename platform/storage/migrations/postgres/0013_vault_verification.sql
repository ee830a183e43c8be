-- Identity verification state. Subjects (a chat session, an SMS number) and target phone numbers
-- appear only as keyed digests; codes only as keyed hashes.
CREATE TABLE vault.verification_counters (
  organization_id  text NOT NULL,
  key_digest       bytea NOT NULL,
  failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until     timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, key_digest)
);

CREATE TABLE vault.verification_codes (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL,
  subject_digest   bytea NOT NULL,
  target_digest    bytea NOT NULL,
  patient_id       text NOT NULL,
  code_hash        bytea NOT NULL,
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  consumed_at      timestamptz
);
CREATE INDEX vault_verification_codes_subject_idx ON vault.verification_codes (organization_id, subject_digest, created_at DESC);
CREATE INDEX vault_verification_codes_patient_idx ON vault.verification_codes (patient_id);
