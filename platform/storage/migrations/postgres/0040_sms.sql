-- SMS through Twilio. Each organisation sends from its own Twilio account: the auth token is a
-- reference (env:NAME or file:/path), never the secret itself. Senders are the organisation's own
-- numbers (long codes, toll-free, short codes), not patient data.
CREATE TABLE sms_accounts (
  organization_id        text PRIMARY KEY REFERENCES organizations(id),
  account_sid            text NOT NULL UNIQUE CHECK (account_sid ~ '^AC[0-9a-fA-F]{32}$'),
  auth_token_ref         text NOT NULL CHECK (auth_token_ref ~ '^(env|file):.+'),
  messaging_service_sid  text CHECK (messaging_service_sid ~ '^MG[0-9a-fA-F]{32}$'),
  senders                jsonb NOT NULL DEFAULT '[]',
  help_text              text NOT NULL DEFAULT '',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

-- SMS numbers proven to belong to a patient (date of birth or one-time code over SMS). The number
-- appears only as the verifier's keyed subject digest.
CREATE TABLE sms_identities (
  organization_id  text NOT NULL REFERENCES organizations(id),
  subject_digest   bytea NOT NULL,
  patient_id       text NOT NULL REFERENCES patients(id),
  verified_at      timestamptz NOT NULL DEFAULT now(),
  method           text NOT NULL CHECK (method IN ('birth_date', 'code')),
  PRIMARY KEY (organization_id, subject_digest)
);
CREATE INDEX sms_identities_patient_idx ON sms_identities (patient_id);
