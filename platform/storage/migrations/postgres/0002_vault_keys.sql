-- The vault: a schema of its own (a separate database in production). Data keys are stored only
-- wrapped by the master key; PHI columns added by later migrations are encrypted under them.
CREATE SCHEMA IF NOT EXISTS vault;

CREATE TABLE vault.organization_keys (
  organization_id  text NOT NULL,
  version          integer NOT NULL CHECK (version > 0),
  wrapped_key      bytea NOT NULL,
  master_key_id    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  retired_at       timestamptz,
  PRIMARY KEY (organization_id, version)
);
