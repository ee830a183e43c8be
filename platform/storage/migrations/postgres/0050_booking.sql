-- Booking at the hospital: each organisation's EHR endpoint, the bookings we hold for patients, the
-- slots we offered them, and the drift the reconciliation finds. Pseudonymous ids, times and codes
-- only; the EHR secret is sealed under the organisation's data key.
CREATE SCHEMA IF NOT EXISTS booking;

CREATE TABLE booking.ehr_endpoints (
  organization_id  text PRIMARY KEY,
  base_url         text NOT NULL,                 -- FHIR R4 base, e.g. https://ehr.example/fhir/R4
  auth_kind        text NOT NULL CHECK (auth_kind IN ('none', 'bearer', 'smart_backend')),
  client_id        text,                          -- smart_backend: the registered client
  token_url        text,                          -- smart_backend: the token endpoint
  scope            text,
  jwk_kid          text,                          -- smart_backend: kid of the signing key the EHR holds
  secret_key_id    text,                          -- data key that sealed the secret
  secret_sealed    bytea,                         -- bearer: the token; smart_backend: the private key (PEM)
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- held: we hold the slot and the hospital call is queued; booked: the hospital has the Appointment;
-- refused/failed: the hospital said no or never answered, the slot is released; cancelling → cancelled.
CREATE TABLE booking.bookings (
  organization_id  text NOT NULL,
  id               text NOT NULL,                 -- bk_…: also the Appointment's identifier at the hospital
  patient_id       text NOT NULL,
  slot_id          text NOT NULL,                 -- care.slots.id (ours)
  starts_at        timestamptz NOT NULL,
  ends_at          timestamptz NOT NULL,
  service_type_codes text[] NOT NULL DEFAULT '{}',
  status           text NOT NULL CHECK (status IN ('held', 'booked', 'refused', 'failed', 'cancelling', 'cancelled', 'noshow')),
  reason           text,                          -- a code (slot_taken, invalid, hospital_unavailable, patient_request …)
  caused_by        text NOT NULL,                 -- the action id: a replayed action finds its booking
  replaces         text,                          -- the booking a reschedule moves
  hospital_slot_id text,
  hospital_appointment_id text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, id)
);
-- The one rule that makes two patients asking for one slot get one booking between them.
CREATE UNIQUE INDEX booking_bookings_slot_idx ON booking.bookings (organization_id, slot_id) WHERE status IN ('held', 'booked', 'cancelling');
CREATE UNIQUE INDEX booking_bookings_cause_idx ON booking.bookings (organization_id, caused_by);
CREATE INDEX booking_bookings_patient_idx ON booking.bookings (organization_id, patient_id, starts_at);
CREATE INDEX booking_bookings_updated_idx ON booking.bookings (updated_at);

-- The slots last offered to a patient: "the second one" (a time in the workflow) is resolved here.
CREATE TABLE booking.offers (
  organization_id  text NOT NULL,
  patient_id       text NOT NULL,
  slot_id          text NOT NULL,
  starts_at        timestamptz NOT NULL,
  reschedules      text,                          -- the booking this offer would replace
  offered_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, patient_id, slot_id)
);

-- What the reconciliation found different at the hospital, until it matches again.
CREATE TABLE booking.drift (
  organization_id  text NOT NULL,
  booking_id       text NOT NULL,
  kind             text NOT NULL,                 -- appointment_missing, status, start, slot_status
  ours             text,
  theirs           text,
  found_at         timestamptz NOT NULL DEFAULT now(),
  resolved_at      timestamptz,
  PRIMARY KEY (organization_id, booking_id, kind)
);
