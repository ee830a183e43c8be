/*
 * The FHIR R4 resources a booking sends to the hospital. Pure. The Appointment carries our booking
 * id as a business identifier: the conditional create (If-None-Exist on it) makes a retry find the
 * Appointment the first try made instead of booking twice.
 */

export const BOOKING_IDENTIFIER_SYSTEM = 'https://careloop.org/fhir/booking';
export const PATIENT_IDENTIFIER_SYSTEM = 'https://careloop.org/fhir/patient';

export interface BookingRequest {
  bookingId: string;
  /** The hospital's own Slot id. */
  hospitalSlotId: string;
  startsAt: number;
  endsAt: number;
  /** Our pseudonymous patient id: the hospital links it to its record (no PHI leaves). */
  patientId: string;
  serviceTypeCodes: readonly string[];
}

type R = Record<string, unknown>;

export function ifNoneExist(bookingId: string): string {
  return `identifier=${encodeURIComponent(`${BOOKING_IDENTIFIER_SYSTEM}|${bookingId}`)}`;
}

const codeable = (code: string): R => {
  const [system, value] = code.split('|');
  return { coding: [{ ...(system ? { system } : {}), code: value ?? code }] };
};

export function appointmentFor(b: BookingRequest): R {
  return {
    resourceType: 'Appointment',
    identifier: [{ system: BOOKING_IDENTIFIER_SYSTEM, value: b.bookingId }],
    status: 'booked',
    ...(b.serviceTypeCodes.length > 0 ? { serviceType: b.serviceTypeCodes.map(codeable) } : {}),
    start: new Date(b.startsAt).toISOString(),
    end: new Date(b.endsAt).toISOString(),
    slot: [{ reference: `Slot/${b.hospitalSlotId}` }],
    participant: [{ actor: { identifier: { system: PATIENT_IDENTIFIER_SYSTEM, value: b.patientId } }, status: 'accepted', required: 'required' }],
  };
}

/** The Slot as the hospital holds it, with the status changed (busy on booking, free on cancel). */
export function slotWithStatus(slot: R, status: 'busy' | 'free'): R {
  return { ...slot, status };
}

/** The Appointment cancelled, with the reason as text (never free text from the patient). */
export function cancelled(appointment: R, reason: string): R {
  return { ...appointment, status: 'cancelled', cancelationReason: { text: reason } };
}
