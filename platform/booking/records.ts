import type { HospitalRequest, PatientSignal } from '../../schemas/generated/avro-types.js';

/*
 * The records the booking services produce: signals for the workflow and calls queued for the
 * hospital. Ids derive from the booking or action, so a replay produces the same records.
 */

export interface Outputs { signals: PatientSignal[]; requests: HospitalRequest[] }

/** A signal from the booking services (source `booking`). */
export function signal(a: { organizationId: string; patientId: string; traceId: string }, id: string, type: string, attributes: Record<string, string>, at: number): PatientSignal {
  return { signalId: id, traceId: a.traceId, organizationId: a.organizationId, patientId: a.patientId, type, source: 'booking', occurredAt: at, attributes, payload: null };
}

/** A call for hospital-outbound, one per intent and booking (`book:<id>`, `cancel:<id>`) or refill request (`pharmacy:<action id>`). */
export function hospitalRequest(a: { organizationId: string; patientId: string; traceId: string }, kind: 'book' | 'cancel' | 'pharmacy', bookingId: string, at: number, attributes: Record<string, string> = {}): HospitalRequest {
  return { requestId: `${kind}:${bookingId}`, traceId: a.traceId, organizationId: a.organizationId, patientId: a.patientId, kind, bookingId, requestedAt: at, attributes };
}
