import { createSign, randomUUID } from 'node:crypto';
import { Client } from 'fhir-kit-client';
import { appointmentFor, BOOKING_IDENTIFIER_SYSTEM, cancelled, PATIENT_IDENTIFIER_SYSTEM, ifNoneExist, slotWithStatus, type BookingRequest } from '../../platform/booking/appointment.js';
import { classifyHospitalAnswer, type HospitalAnswer } from '../../platform/booking/hospital-outcome.js';
import { CareloopError } from '../../platform/errors.js';
import type { EhrAuth, EhrEndpoint } from '../../platform/stores/ehr-endpoints.js';

type R = Record<string, unknown>;

/** A call the hospital refused or never answered; `answer` says which and whether to retry. */
export class HospitalError extends CareloopError {
  constructor(readonly answer: Exclude<HospitalAnswer, { kind: 'ok' }>, readonly status: number | null) {
    super(answer.kind === 'retry' ? 'TIMEOUT' : 'CONFLICT', `the hospital ${answer.kind === 'retry' ? 'did not answer' : 'refused'} (${status ?? 'no answer'}, ${answer.reason})`,
      { retryable: answer.kind === 'retry', details: { status, reason: answer.reason } });
  }
}

function statusOf(err: unknown): { status: number | null; issue?: string } {
  const res = (err as { response?: { status?: number; data?: unknown } }).response;
  if (typeof res?.status !== 'number') return { status: null }; // a time-out, a refused connection, a reset
  const issue = ((res.data as { issue?: Array<{ code?: string }> } | undefined)?.issue ?? [])[0]?.code;
  return issue === undefined ? { status: res.status } : { status: res.status, issue };
}

/** SMART backend services: a client_credentials token bought with a signed assertion (RS384), cached. */
class SmartToken {
  private cached: { token: string; until: number } | undefined;
  constructor(private readonly auth: Extract<EhrAuth, { kind: 'smart_backend' }>, private readonly timeoutMs: number, private readonly now: () => number) {}

  async get(): Promise<string> {
    if (this.cached !== undefined && this.cached.until > this.now()) return this.cached.token;
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ alg: 'RS384', typ: 'JWT', kid: this.auth.kid });
    const claims = b64({ iss: this.auth.clientId, sub: this.auth.clientId, aud: this.auth.tokenUrl, exp: Math.floor(this.now() / 1000) + 300, jti: randomUUID() });
    const sig = createSign('RSA-SHA384').update(`${head}.${claims}`).sign(this.auth.privateKeyPem).toString('base64url');
    const body = new URLSearchParams({ grant_type: 'client_credentials', scope: this.auth.scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: `${head}.${claims}.${sig}` });
    let res: Response;
    try {
      res = await fetch(this.auth.tokenUrl, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch {
      throw new HospitalError({ kind: 'retry', reason: 'timeout' }, null);
    }
    if (!res.ok) {
      const answer = classifyHospitalAnswer(res.status === 400 ? 401 : res.status); // a refused assertion is an auth failure
      throw new HospitalError(answer.kind === 'ok' ? { kind: 'refused', reason: 'not_allowed' } : answer, res.status);
    }
    const t = await res.json() as { access_token?: string; expires_in?: number };
    if (typeof t.access_token !== 'string') throw new HospitalError({ kind: 'refused', reason: 'not_allowed' }, res.status);
    this.cached = { token: t.access_token, until: this.now() + Math.max(0, (t.expires_in ?? 300) - 30) * 1000 };
    return t.access_token;
  }
}

/**
 * The calls a booking makes to one organisation's FHIR R4 server, through fhir-kit-client; every
 * failure comes out as a HospitalError saying whether to retry.
 */
export class HospitalClient {
  private readonly client: Client;
  private readonly smart: SmartToken | undefined;

  constructor(endpoint: EhrEndpoint, private readonly timeoutMs: number, now: () => number) {
    this.client = new Client({ baseUrl: endpoint.baseUrl, ...(endpoint.auth.kind === 'bearer' ? { bearerToken: endpoint.auth.token } : {}) });
    this.smart = endpoint.auth.kind === 'smart_backend' ? new SmartToken(endpoint.auth, timeoutMs, now) : undefined;
  }

  private async call<T>(fn: (options: { signal: AbortSignal; headers?: Record<string, string> }) => Promise<T>, headers: Record<string, string> = {}): Promise<T> {
    const auth: Record<string, string> = this.smart === undefined ? {} : { authorization: `Bearer ${await this.smart.get()}` };
    try {
      return await fn({ signal: AbortSignal.timeout(this.timeoutMs), headers: { ...headers, ...auth } });
    } catch (err) {
      if (err instanceof HospitalError) throw err;
      const { status, issue } = statusOf(err);
      const answer = classifyHospitalAnswer(status, issue);
      throw new HospitalError(answer.kind === 'ok' ? { kind: 'retry', reason: 'unavailable' } : answer, status);
    }
  }

  /** Hospital Slots starting at that instant (to find the one an imported slot came from). */
  async slotsStartingAt(startsAt: number): Promise<R[]> {
    const bundle = await this.call((options) => this.client.search({ resourceType: 'Slot', searchParams: { start: `eq${new Date(startsAt).toISOString()}` }, options })) as R;
    return ((bundle['entry'] as Array<{ resource?: R }> | undefined) ?? []).map((e) => e.resource).filter((r): r is R => r !== undefined);
  }

  /** Conditional create on the booking id (a retry finds the first try's Appointment), then the Slot marked busy. */
  async book(b: BookingRequest): Promise<{ appointmentId: string }> {
    const created = await this.call((options) => this.client.create({ resourceType: 'Appointment', body: appointmentFor(b) as never, options }), { 'If-None-Exist': ifNoneExist(b.bookingId) }) as R;
    const appointmentId = String(created['id'] ?? '');
    await this.setSlotStatus(b.hospitalSlotId, 'busy');
    return { appointmentId };
  }

  async cancel(appointmentId: string, hospitalSlotId: string | null, reason: string): Promise<void> {
    const current = await this.read('Appointment', appointmentId);
    if (current['status'] !== 'cancelled') {
      await this.call((options) => this.client.update({ resourceType: 'Appointment', id: appointmentId, body: cancelled(current, reason) as never, options }));
    }
    if (hospitalSlotId !== null) await this.setSlotStatus(hospitalSlotId, 'free');
  }

  /** The Appointment a booking made, if the hospital has one (a try whose answer was lost may have made it). */
  async appointmentOf(bookingId: string): Promise<R | undefined> {
    const bundle = await this.call((options) => this.client.search({ resourceType: 'Appointment', searchParams: { identifier: `${BOOKING_IDENTIFIER_SYSTEM}|${bookingId}` }, options })) as R;
    return ((bundle['entry'] as Array<{ resource?: R }> | undefined) ?? [])[0]?.resource;
  }

  /** A refill request as a FHIR Task, conditionally created on its id: a retry never asks twice. */
  async notifyPharmacy(taskId: string, patientId: string, medication: string | null, reason: string, at: number): Promise<{ taskId: string }> {
    const identifier = { system: 'https://careloop.org/fhir/pharmacy-request', value: taskId };
    const body = {
      resourceType: 'Task', identifier: [identifier], status: 'requested', intent: 'order', priority: 'routine',
      code: { text: 'medication refill' }, description: medication === null ? 'medication refill' : `refill: ${medication}`,
      for: { identifier: { system: PATIENT_IDENTIFIER_SYSTEM, value: patientId } }, authoredOn: new Date(at).toISOString(), reasonCode: { text: reason },
    };
    const created = await this.call((options) => this.client.create({ resourceType: 'Task', body: body as never, options }), { 'If-None-Exist': `identifier=${encodeURIComponent(`${identifier.system}|${taskId}`)}` }) as R;
    return { taskId: String(created['id'] ?? '') };
  }

  async read(resourceType: 'Appointment' | 'Slot', id: string): Promise<R> {
    return await this.call((options) => this.client.read({ resourceType, id, options })) as R;
  }

  /** Read, then update with If-Match on the version read: a Slot changed in between is not overwritten blindly. */
  private async setSlotStatus(id: string, status: 'busy' | 'free'): Promise<void> {
    const slot = await this.read('Slot', id);
    if (slot['status'] === status) return;
    const version = (slot['meta'] as { versionId?: string } | undefined)?.versionId;
    await this.call((options) => this.client.update({ resourceType: 'Slot', id, body: slotWithStatus(slot, status) as never, options }), version === undefined ? {} : { 'If-Match': `W/"${version}"` });
  }
}
