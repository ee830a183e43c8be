-- Appointments and pharmacy pickups become reminder occurrences too: appointment_due (plan_item_id
-- '<appointment id>~<minutes before>', medication_id the appointment id) and pickup_due (plan_item_id
-- the dispense waiting at the pharmacy, medication_id its prescription). Ids and times only.
ALTER TABLE reminders.occurrences DROP CONSTRAINT IF EXISTS occurrences_kind_check;
ALTER TABLE reminders.occurrences ADD CONSTRAINT occurrences_kind_check
  CHECK (kind IN ('dose_due', 'refill_due', 'appointment_due', 'pickup_due'));
