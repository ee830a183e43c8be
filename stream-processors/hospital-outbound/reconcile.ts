import type { Logger } from '../../platform/log.js';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { signal } from '../../platform/booking/records.js';
import { HospitalError, type HospitalClient } from './hospital-client.js';
import type { Booking, BookingStore } from '../../platform/stores/bookings.js';

/*
 * The reconciliation job: our recent bookings against the hospital's Appointments and Slots. What
 * differs is recorded as drift (for operators); what the hospital decided wins where it is the
 * hospital's to decide (a no-show, a cancellation on their side); an Appointment left behind by a try
 * whose answer was lost is cancelled there.
 */

export interface ReconcileReport { checked: number; drift: number; noShows: number; cancelledThere: number; orphansCancelled: number; unreachable: number }

export interface ReconcileDeps {
  store: BookingStore;
  client: (org: string) => Promise<HospitalClient | undefined>;
  publish: (signals: PatientSignal[]) => Promise<void>;
  now: () => number;
  log: Logger;
}

type R = Record<string, unknown>;

async function checkBooked(d: ReconcileDeps, c: HospitalClient, b: Booking, report: ReconcileReport, signals: PatientSignal[]): Promise<string[]> {
  const drift: string[] = [];
  let appt: R;
  try { appt = await c.read('Appointment', b.hospitalAppointmentId ?? ''); } catch (err) {
    if (err instanceof HospitalError && err.answer.kind === 'refused' && err.answer.reason === 'not_found') {
      await d.store.recordDrift(b.organizationId, b.id, 'appointment_missing', b.status, 'absent');
      return ['appointment_missing'];
    }
    throw err;
  }
  const theirs = String(appt['status']);
  const ids = { organizationId: b.organizationId, patientId: b.patientId, traceId: `reconcile:${b.id}` };
  const starts = new Date(b.startsAt).toISOString();
  if (b.status === 'booked' && theirs === 'noshow' && await d.store.transition(b.organizationId, b.id, ['booked'], 'noshow', { reason: 'hospital_noshow' })) {
    report.noShows++;
    signals.push(signal(ids, `booking:${b.id}:appointment_no_show`, 'appointment_no_show', { appointment_id: b.id, starts_at: starts }, d.now()));
    return drift;
  }
  if (b.status === 'booked' && theirs === 'cancelled' && await d.store.transition(b.organizationId, b.id, ['booked'], 'cancelled', { reason: 'hospital_cancelled' })) {
    report.cancelledThere++;
    signals.push(signal(ids, `booking:${b.id}:appointment_cancelled`, 'appointment_cancelled', { appointment_id: b.id, starts_at: starts, by: 'hospital' }, d.now()));
    return drift;
  }
  const expected = b.status === 'booked' ? ['booked', 'arrived', 'fulfilled', 'checked-in'] : ['cancelled'];
  if (!expected.includes(theirs)) { drift.push('status'); await d.store.recordDrift(b.organizationId, b.id, 'status', b.status, theirs); }
  if (Date.parse(String(appt['start'])) !== b.startsAt) { drift.push('start'); await d.store.recordDrift(b.organizationId, b.id, 'start', starts, String(appt['start'])); }
  if (b.hospitalSlotId !== null) {
    const slot = await c.read('Slot', b.hospitalSlotId);
    const want = b.status === 'booked' ? 'busy' : 'free';
    if (slot['status'] !== want) { drift.push('slot_status'); await d.store.recordDrift(b.organizationId, b.id, 'slot_status', want, String(slot['status'])); }
  }
  return drift;
}

/** A booking we released: the hospital must not hold an Appointment for it. */
async function checkReleased(c: HospitalClient, b: Booking, report: ReconcileReport): Promise<void> {
  const appt = await c.appointmentOf(b.id);
  if (appt === undefined || appt['status'] === 'cancelled') return;
  await c.cancel(String(appt['id']), b.hospitalSlotId, 'released_by_careloop');
  report.orphansCancelled++;
}

export async function reconcile(d: ReconcileDeps, since: number, limit = 1000): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, drift: 0, noShows: 0, cancelledThere: 0, orphansCancelled: 0, unreachable: 0 };
  const signals: PatientSignal[] = [];
  for (const b of await d.store.forReconciliation(since, limit)) {
    const c = await d.client(b.organizationId);
    if (c === undefined) continue;
    report.checked++;
    try {
      if (b.status === 'failed' || b.status === 'refused') { await checkReleased(c, b, report); continue; }
      const drift = await checkBooked(d, c, b, report, signals);
      report.drift += drift.length;
      await d.store.resolveDrift(b.organizationId, b.id, drift);
    } catch (err) {
      if (!(err instanceof HospitalError)) throw err;
      report.unreachable++; // the next round tries again
    }
  }
  if (signals.length > 0) await d.publish(signals);
  d.log.info({ ...report }, 'bookings reconciled with the hospitals');
  return report;
}
