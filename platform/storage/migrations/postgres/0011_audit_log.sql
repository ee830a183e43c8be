-- The PHI access log: append-only, one hash chain per organisation. Each row stores
-- row_hash = sha256(prev_hash || int8(seq) || canonical content) computed by the appender; the chain
-- head row serialises appenders of one organisation and lets a verifier notice a cut tail.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE audit.chain_heads (
  organization_id  text PRIMARY KEY,
  last_seq         bigint NOT NULL CHECK (last_seq >= 0),
  prev_hash        bytea NOT NULL,
  last_hash        bytea NOT NULL
);

CREATE TABLE audit.events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id  text NOT NULL,
  seq              bigint NOT NULL,
  at               timestamptz NOT NULL,
  actor_kind       text NOT NULL,
  actor_id         text NOT NULL,
  actor_ip         text,                          -- text, not inet: the hash covers the exact string
  actor_service    text,
  action           text NOT NULL,
  patient_id       text,                          -- pseudonymous id only; never PHI in this table
  purpose          text NOT NULL,
  outcome          text NOT NULL,
  reason           text,
  fields           text[] NOT NULL DEFAULT '{}',  -- names of the fields touched, never values
  result_count     integer,
  prev_hash        bytea NOT NULL,
  row_hash         bytea NOT NULL,
  UNIQUE (organization_id, seq)
);
CREATE INDEX audit_events_patient_idx ON audit.events (organization_id, patient_id, at);

CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit.events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON audit.events
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

-- A head only moves forward one step at a time and is never deleted.
CREATE FUNCTION audit.head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.last_seq <> OLD.last_seq + 1 OR NEW.prev_hash <> OLD.last_hash THEN
    RAISE EXCEPTION 'audit.chain_heads only advances: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER chain_heads_forward_only BEFORE UPDATE OR DELETE ON audit.chain_heads
  FOR EACH ROW EXECUTE FUNCTION audit.head_forward_only();
