-- The care plan's clinical text (medication name, dose, instructions) sealed with the organisation's
-- data key (platform/stores/care-plan-text.ts): key_id names the key, sealed holds nonce ||
-- ciphertext+tag of {"name","dose","instructions"}. Sealed rows keep '' in the plain columns.
-- Rows written before this migration are sealed by sealCarePlanBacklog (run by `careloop prepare`,
-- which holds the keys; SQL cannot); until then readers take their plain columns as they are.
ALTER TABLE patient_medications ADD COLUMN IF NOT EXISTS key_id text;
ALTER TABLE patient_medications ADD COLUMN IF NOT EXISTS sealed bytea;
ALTER TABLE patient_medications ALTER COLUMN name SET DEFAULT '';
CREATE INDEX IF NOT EXISTS patient_medications_unsealed_idx ON patient_medications (id) WHERE sealed IS NULL;
