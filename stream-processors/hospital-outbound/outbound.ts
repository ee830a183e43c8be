import { CareloopError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log.js';
import type { EhrEndpoint } from '../../platform/stores/ehr-endpoints.js';
import { blindDigest } from '../../platform/vault/index-keys.js';
import type { HospitalRequest } from '../../schemas/generated/avro-types.js';
import { hospitalRequest, signal, type Outputs } from '../../platform/booking/records.js';
import { HospitalClient, HospitalError } from './hospital-client.js';
import type { Booking, BookingStore } from '../../platform/stores/bookings.js';

/*
 * hospital-outbound: one queued call to the hospital per record. The hospital's answer decides the
 * booking's state and what the patient is told; a call with no answer is retried by the consumer
 * loop with backoff, and on the last attempt the booking is released, the patient told, and the
 * record dead-lettered for an operator.
 */

export interface OutboundDeps {
  store: BookingStore;
  endpoint: (org: string) => Promise<EhrEndpoint | undefined>;
  indexKey: (org: string) => Promise<Buffer>;
  /** The care-plan medication's name and dose, read at call time (never carried on the queue). */
  medication: (org: string, patientId: string, medicationId: string) => Promise<string | undefined>;
  timeoutMs: number;
  maxRetries: number;
  now: () => number;
}

export interface Attempt { attempt: number; log: Logger }

const none: Outputs = { signals: [], requests: [] };

export class HospitalOutbound {
  private readonly clients = new Map<string, { endpoint: EhrEndpoint; client: HospitalClient }>();

  constructor(private readonly d: OutboundDeps) {}

  async client(org: string): Promise<HospitalClient | undefined> {
    const endpoint = await this.d.endpoint(org);
    if (endpoint === undefined) return undefined;
    const hit = this.clients.get(org);
    if (hit !== undefined && JSON.stringify(hit.endpoint) === JSON.stringify(endpoint)) return hit.client;
    const client = new HospitalClient(endpoint, this.d.timeoutMs, this.d.now);
    this.clients.set(org, { endpoint, client });
    return client;
  }

  /** Publishes `emit`'s outputs before the error goes back to the loop (the patient is told even if the record is dead-lettered). */
  async handle(r: HospitalRequest, at: Attempt, emit: (o: Outputs) => Promise<void>): Promise<void> {
    if (r.kind === 'pharmacy') return this.pharmacy(r, at);
    const b = await this.d.store.get(r.organizationId, r.bookingId);
    if (b === undefined) return;
    try {
      const out = r.kind === 'book' ? await this.book(r, b) : r.kind === 'cancel' ? await this.cancel(r, b) : none;
      await emit(out);
    } catch (err) {
      if (!(err instanceof HospitalError)) throw err;
      if (err.retryable && at.attempt <= this.d.maxRetries) throw err; // the loop backs off and calls again
      at.log.warn({ kind: r.kind, status: err.status, reason: err.answer.reason, attempt: at.attempt }, 'the hospital refused or did not answer');
      await emit(await this.gaveUp(r, b, err));
      if (err.retryable) throw new CareloopError('TIMEOUT', `the hospital did not answer after ${at.attempt} attempts`, { retryable: false, cause: err });
    }
  }

  /** A refill request to the pharmacy (the organisation's endpoint); a refusal is logged and dead-lettered for the team. */
  private async pharmacy(r: HospitalRequest, at: Attempt): Promise<void> {
    const client = await this.client(r.organizationId);
    if (client === undefined) throw new CareloopError('CONFIG_INVALID', 'the organisation has no EHR endpoint for pharmacy requests');
    const medId = r.attributes['medication_id'];
    const med = medId === undefined ? undefined : await this.d.medication(r.organizationId, r.patientId, medId);
    try {
      await client.notifyPharmacy(r.requestId.replace(/^pharmacy:/, ''), r.patientId, med ?? null, r.attributes['reason'] ?? 'refill', r.requestedAt);
    } catch (err) {
      if (err instanceof HospitalError && !err.retryable) at.log.warn({ kind: r.kind, status: err.status, reason: err.answer.reason }, 'the pharmacy refused the refill request');
      throw err;
    }
  }

  /** The hospital's own id of our slot: its Slots at that time whose "Slot/<id>" digests to the one the importer kept. */
  private async hospitalSlotId(client: HospitalClient, b: Booking): Promise<string | undefined> {
    if (b.hospitalSlotId !== null) return b.hospitalSlotId;
    const digest = await this.d.store.slotSourceDigest(b.organizationId, b.slotId);
    if (digest === undefined) return undefined;
    const key = await this.d.indexKey(b.organizationId);
    const slot = (await client.slotsStartingAt(b.startsAt)).find((s) => blindDigest(key, 'fhir-source', `Slot/${String(s['id'])}`).equals(digest));
    return slot === undefined ? undefined : String(slot['id']);
  }

  private async book(r: HospitalRequest, b: Booking): Promise<Outputs> {
    if (b.status !== 'held') return none; // stale: already booked, refused or released by an earlier try
    const client = await this.client(r.organizationId);
    if (client === undefined) throw new HospitalError({ kind: 'refused', reason: 'not_allowed' }, null);
    const hospitalSlotId = await this.hospitalSlotId(client, b);
    if (hospitalSlotId === undefined) throw new HospitalError({ kind: 'refused', reason: 'not_found' }, 404);
    await this.d.store.rememberHospitalIds(b.organizationId, b.id, { hospitalSlotId });
    const { appointmentId } = await client.book({ bookingId: b.id, hospitalSlotId, startsAt: b.startsAt, endsAt: b.endsAt, patientId: b.patientId, serviceTypeCodes: b.serviceTypeCodes });
    if (!await this.d.store.transition(b.organizationId, b.id, ['held'], 'booked', { hospitalAppointmentId: appointmentId })) return none;
    const now = this.d.now();
    const out: Outputs = { signals: [signal(r, `booking:${b.id}:appointment_booked`, 'appointment_booked', { appointment_id: b.id, starts_at: new Date(b.startsAt).toISOString(), ...(b.replaces ? { rescheduled_from: b.replaces } : {}) }, now)], requests: [] };
    // A reschedule: the new time is confirmed, so the old one is let go.
    if (b.replaces !== null && await this.d.store.transition(b.organizationId, b.replaces, ['booked'], 'cancelling', { reason: 'rescheduled' })) {
      out.requests.push(hospitalRequest(r, 'cancel', b.replaces, now, { reason: 'rescheduled', quiet: 'true' }));
    }
    return out;
  }

  private async cancel(r: HospitalRequest, b: Booking): Promise<Outputs> {
    if (b.status !== 'cancelling') return none;
    const client = await this.client(r.organizationId);
    if (client === undefined) throw new HospitalError({ kind: 'refused', reason: 'not_allowed' }, null);
    if (b.hospitalAppointmentId !== null) await client.cancel(b.hospitalAppointmentId, b.hospitalSlotId, r.attributes['reason'] ?? 'patient_request');
    if (!await this.d.store.transition(b.organizationId, b.id, ['cancelling'], 'cancelled')) return none;
    if (r.attributes['quiet'] === 'true') return none; // the reschedule's confirmation already told the patient
    return { signals: [signal(r, `booking:${b.id}:appointment_cancelled`, 'appointment_cancelled', { appointment_id: b.id, starts_at: new Date(b.startsAt).toISOString() }, this.d.now())], requests: [] };
  }

  /** The last word: a booking is released (refused or failed), a cancellation restored; the patient told which. */
  private async gaveUp(r: HospitalRequest, b: Booking, err: HospitalError): Promise<Outputs> {
    const reason = err.retryable ? 'hospital_unavailable' : err.answer.reason;
    const now = this.d.now();
    const starts = new Date(b.startsAt).toISOString();
    if (r.kind === 'book') {
      if (!await this.d.store.transition(b.organizationId, b.id, ['held'], err.retryable ? 'failed' : 'refused', { reason })) return none;
      return { signals: [signal(r, `booking:${b.id}:appointment_refused`, 'appointment_refused', { reason, starts_at: starts, appointment_id: b.id }, now)], requests: [] };
    }
    if (!await this.d.store.transition(b.organizationId, b.id, ['cancelling'], 'booked', { reason })) return none;
    return { signals: [signal(r, `booking:${b.id}:appointment_cancel_failed`, 'appointment_cancel_failed', { reason, starts_at: starts, appointment_id: b.id }, now)], requests: [] };
  }
}
