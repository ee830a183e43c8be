-- Who the safety replies send a patient to, per organisation (the clinical safety net), the
-- organisation's own words for when a workflow fails, and the prescription's instructions, which
-- the assistant quotes instead of ever giving dosing advice of its own.
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS crisis_number text NOT NULL DEFAULT '988';
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS poison_control_number text NOT NULL DEFAULT '1-800-222-1222';
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS care_team_contact text NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS fallback_text jsonb NOT NULL DEFAULT '{}';
ALTER TABLE patient_medications ADD COLUMN IF NOT EXISTS instructions text NOT NULL DEFAULT '';
