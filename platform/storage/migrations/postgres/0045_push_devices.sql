-- Where a patient can be reached by push: Web Push subscriptions (the chat page's service worker)
-- and FCM registration tokens (the mobile app). The endpoint or token identifies a device, so it is
-- sealed under the patient's key like other identifiers; the id is its SHA-256, for upserts only.
CREATE TABLE push_devices (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL REFERENCES organizations(id),
  patient_id       text NOT NULL REFERENCES patients(id),
  kind             text NOT NULL CHECK (kind IN ('webpush', 'fcm')),
  key_id           text NOT NULL,
  nonce            bytea NOT NULL,
  ciphertext       bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_used_at     timestamptz
);
CREATE INDEX push_devices_patient_idx ON push_devices (organization_id, patient_id);

-- The channel a patient asked for (absent: the product's order, web then push then SMS).
CREATE TABLE channel_preferences (
  patient_id       text PRIMARY KEY REFERENCES patients(id),
  organization_id  text NOT NULL REFERENCES organizations(id),
  channel          text NOT NULL CHECK (channel IN ('web', 'push', 'sms')),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
