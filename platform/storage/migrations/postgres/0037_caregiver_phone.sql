-- A caregiver's phone, sealed with the organisation's data key (never stored in the clear), and its
-- blind index so that a text from that number (STOP, START) finds the caregiver.
ALTER TABLE reminders.caregivers ADD COLUMN IF NOT EXISTS phone_key_id text;
ALTER TABLE reminders.caregivers ADD COLUMN IF NOT EXISTS phone_nonce bytea;
ALTER TABLE reminders.caregivers ADD COLUMN IF NOT EXISTS phone_ciphertext bytea;
ALTER TABLE reminders.caregivers ADD COLUMN IF NOT EXISTS phone_digest bytea;
CREATE INDEX IF NOT EXISTS reminders_caregivers_phone_idx ON reminders.caregivers (organization_id, phone_digest) WHERE phone_digest IS NOT NULL;
