-- Patient identity in the vault. Every PHI column holds nonce || AES-256-GCM ciphertext+tag under the
-- patient's own data key; that key is stored only wrapped by an organisation data key, in a table of
-- its own so erasing a patient is one DELETE there (crypto-shredding).
CREATE TABLE vault.patients (
  patient_id       text PRIMARY KEY,            -- pseudonymous, random, never derived from PHI
  organization_id  text NOT NULL,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'erased')),
  given_name       bytea,
  family_name      bytea,
  phone            bytea,
  email            bytea,
  birth_date       bytea,
  address          bytea,
  mrn              bytea,
  identifiers      bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  erased_at        timestamptz
);
CREATE INDEX vault_patients_org_idx ON vault.patients (organization_id);

-- Small and hot: vacuum it often and keep its backups short, since erasure is only as final as the
-- oldest copy of a wrapped key.
CREATE TABLE vault.patient_keys (
  patient_id       text PRIMARY KEY REFERENCES vault.patients(patient_id),
  organization_id  text NOT NULL,
  wrapped_key      bytea NOT NULL,              -- nonce || sealed key, under wrapping_key_id
  wrapping_key_id  text NOT NULL,               -- organisation key "<org>/v<n>"
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- The per-organisation HMAC key for blind indexes, sealed under an organisation data key (so a master
-- key rotation re-wraps it for free, and it never changes when organisation keys rotate).
CREATE TABLE vault.organization_index_keys (
  organization_id  text PRIMARY KEY,
  wrapped_key      bytea NOT NULL,
  wrapping_key_id  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Keyed blind indexes: HMAC-SHA256(index key, kind || normalised value). Equality lookups only.
CREATE TABLE vault.blind_indexes (
  organization_id  text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('phone', 'email', 'mrn', 'phone_birth_date', 'identifier')),
  digest           bytea NOT NULL,
  patient_id       text NOT NULL REFERENCES vault.patients(patient_id),
  PRIMARY KEY (organization_id, kind, digest, patient_id)
);
CREATE INDEX vault_blind_indexes_patient_idx ON vault.blind_indexes (patient_id);
