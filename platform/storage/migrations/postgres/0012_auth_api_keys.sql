-- API keys for integrations. The secret is shown once at creation; only its SHA-256 is stored (the
-- secret is 256 random bits, so a slow password hash would add latency and no security).
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.api_keys (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL REFERENCES organizations(id),
  role             text NOT NULL CHECK (role IN ('org_admin', 'care_team', 'analyst', 'partner')),
  name             text NOT NULL,
  secret_hash      bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);
CREATE INDEX auth_api_keys_org_idx ON auth.api_keys (organization_id);
