-- The care-team inbox: escalations and handoffs become tasks staff can claim, answer and resolve;
-- urgent ones page the organisation's on-call contacts until one acknowledges. Patients appear by
-- pseudonymous id only; the patient's own words that raised a task are sealed with the
-- organisation's key. `deployment` is the topic prefix, as for reminders: one database, many runs.
CREATE SCHEMA IF NOT EXISTS inbox;

-- Per organisation: SLA overrides (ms per priority), on-call contacts in paging order
-- ([{"id": "...", "url": "https://..."}]), the webhook secret by reference (env:NAME or file:/path,
-- never the secret itself) and how long a page waits for an acknowledgement.
CREATE TABLE inbox.settings (
  organization_id    text PRIMARY KEY REFERENCES organizations(id),
  sla                jsonb NOT NULL DEFAULT '{}',
  oncall_contacts    jsonb NOT NULL DEFAULT '[]',
  webhook_secret_ref text NOT NULL DEFAULT '',
  ack_timeout_ms     integer CHECK (ack_timeout_ms IS NULL OR ack_timeout_ms > 0),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inbox.tasks (
  id               text PRIMARY KEY,
  deployment       text NOT NULL,
  organization_id  text NOT NULL REFERENCES organizations(id),
  patient_id       text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('escalation', 'handoff')),
  priority         text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
  reason           text NOT NULL,
  category         text,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'resolved')),
  channel          text NOT NULL DEFAULT 'WEB' CHECK (channel IN ('WEB', 'SMS')),
  language         text NOT NULL DEFAULT 'en',
  source_action_id text NOT NULL UNIQUE,
  caused_by        text,
  message_key_id   text,
  message_nonce    bytea,
  message_ct       bytea,
  created_at       timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  claimed_by       text,
  claimed_at       timestamptz,
  acknowledged_by  text,
  acknowledged_at  timestamptz,
  replies          integer NOT NULL DEFAULT 0,
  last_reply_at    timestamptz,
  resolved_by      text,
  resolved_at      timestamptz,
  outcome          text
);
CREATE INDEX tasks_org_status_due_idx ON inbox.tasks (organization_id, status, due_at, id);
CREATE INDEX tasks_overdue_idx ON inbox.tasks (deployment, due_at) WHERE status <> 'resolved';
CREATE INDEX tasks_patient_open_idx ON inbox.tasks (organization_id, patient_id) WHERE status <> 'resolved';

-- Paging of one urgent task: the next contact to page and when; next_at is null once nothing more
-- is to be sent (acknowledged, resolved, or every contact paged).
CREATE TABLE inbox.pages (
  task_id          text PRIMARY KEY REFERENCES inbox.tasks(id),
  deployment       text NOT NULL,
  organization_id  text NOT NULL,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acknowledged', 'exhausted', 'cancelled')),
  contact_index    integer NOT NULL DEFAULT 0,
  next_at          timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pages_due_idx ON inbox.pages (deployment, next_at) WHERE next_at IS NOT NULL;

-- Every webhook sent: which contact, when, the HTTP status (0: no answer) and a failure code.
CREATE TABLE inbox.page_deliveries (
  task_id     text NOT NULL REFERENCES inbox.tasks(id),
  attempt     integer NOT NULL,
  contact_id  text NOT NULL,
  sent_at     timestamptz NOT NULL,
  http_status integer NOT NULL,
  error_code  text,
  PRIMARY KEY (task_id, attempt)
);
