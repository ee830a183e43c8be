import { randomUUID } from 'node:crypto';
import { chooseSlots, type FreeSlot } from '../../platform/booking/slots.js';
import { PART_HOURS, type PartOfDay } from '../../platform/booking/when.js';
import { findServices } from '../../platform/services/match.js';
import type { Position } from '../../platform/services/directory.js';
import { conceptById } from '../../platform/services/vocabulary.js';
import { effectiveTimeZone, localParts, zonedTimeToUtc } from '../../platform/time/zones.js';
import type { PatientAction } from '../../schemas/generated/avro-types.js';
import { hospitalRequest, signal, type Outputs } from '../../platform/booking/records.js';
import type { DirectoryLoader } from './directory.js';
import { medicationOf, patientContext, type Booking, type BookingStore } from '../../platform/stores/bookings.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { Keyring } from '../../platform/crypto/keyring.js';

/*
 * The booking processor: patient.actions (find_service, book_appointment, cancel_appointment,
 * reschedule_appointment) → slots offered, slots held, calls to the hospital queued, and the signals
 * that tell the workflow what happened. Every output id derives from the action id, so a replay after
 * a crash produces the same records, which their consumers drop.
 */


export interface BookingDeps {
  pool: PgPool;
  /** Opens the care plan's sealed medication text (platform/stores/care-plan-text.ts). */
  keyring: Pick<Keyring, 'keyById'>;
  store: BookingStore;
  directory: DirectoryLoader;
  now: () => number;
  offerHorizonMs: number;
  /** The patient's position from the vault (audited), for ranking by distance; null when not known. */
  patientPosition?: (organizationId: string, patientId: string) => Promise<Position | null>;
}

const HOUR = 3_600_000;

const iso = (ms: number): string => new Date(ms).toISOString();
const conceptsOf = (v: string | undefined): string[] => (v ?? '').split('+').filter((c) => conceptById(c) !== undefined);

function slotAttributes(slots: readonly FreeSlot[]): Record<string, string> {
  const out: Record<string, string> = { slot_count: String(slots.length) };
  slots.forEach((s, i) => { out[`slot_${i + 1}`] = iso(s.startsAt); out[`slot_${i + 1}_id`] = s.id; });
  return out;
}

/** The asked day (an instant from the NLU) as a window, and its part of the day when its hour says one. */
function askedWindow(when: string | undefined, timeZone: string): { from?: number; to?: number; partOfDay?: PartOfDay } {
  const at = when === undefined || when === '' ? NaN : Date.parse(when);
  if (!Number.isFinite(at)) return {};
  const p = localParts(at, timeZone);
  const from = zonedTimeToUtc(p.year, p.month, p.day, 0, 0, timeZone);
  const part = (Object.keys(PART_HOURS) as PartOfDay[]).find((k) => p.hour >= PART_HOURS[k][0] && p.hour < PART_HOURS[k][1]);
  return { from, to: from + 24 * HOUR, ...(part !== undefined ? { partOfDay: part } : {}) };
}

/** The profile's usual time ("18:30") as a part of the day, for ordering offers. */
function preferredPart(hhmm: string | undefined): PartOfDay | undefined {
  const m = /^(\d{1,2}):\d{2}$/.exec(hhmm ?? '');
  const h = m === null ? NaN : Number(m[1]);
  return (Object.keys(PART_HOURS) as PartOfDay[]).find((k) => h >= PART_HOURS[k][0] && h < PART_HOURS[k][1]);
}

export class BookingProcessor {
  constructor(private readonly d: BookingDeps) {}

  async handle(a: PatientAction): Promise<Outputs> {
    switch (a.type) {
      case 'find_service': return a.attributes['kind'] === 'appointment_slots' ? this.offer(a, null) : this.findServices(a);
      case 'book_appointment': return this.book(a);
      case 'cancel_appointment': return this.cancel(a);
      case 'reschedule_appointment': return this.reschedule(a);
      case 'notify_pharmacy': return this.notifyPharmacy(a);
      default: return { signals: [], requests: [] };
    }
  }

  private async findServices(a: PatientAction): Promise<Outputs> {
    const org = a.organizationId;
    const [directory, pc, position] = await Promise.all([
      this.d.directory.load(org), patientContext(this.d.pool, org, a.patientId),
      this.d.patientPosition === undefined ? null : this.d.patientPosition(org, a.patientId).catch(() => null),
    ]);
    const at = Date.parse(a.attributes['asked_date'] ?? '');
    // The position stays in this process: only the services' ids and reasons leave it.
    const found = findServices(directory, {
      text: '', concepts: conceptsOf(a.attributes['service']), language: pc.language, patientLanguage: pc.language, timeZone: pc.timeZone,
      ...(Number.isFinite(at) ? { at } : {}), ...(position !== null ? { position } : {}),
    });
    const attributes: Record<string, string> = { service_count: String(found.length) };
    found.forEach((f, i) => { attributes[`service_${i + 1}`] = f.why; attributes[`service_${i + 1}_id`] = f.serviceId; });
    const type = found.length > 0 ? 'services_found' : 'services_not_found';
    return { signals: [signal(a, `booking:${a.actionId}:${type}`, type, attributes, this.d.now())], requests: [] };
  }

  /** Schedules for the asked services (all schedules when none was named). */
  private async schedules(org: string, concepts: readonly string[]): Promise<string[] | null> {
    if (concepts.length === 0) return null;
    const directory = await this.d.directory.load(org);
    const services = findServices(directory, { text: '', concepts, language: 'en', timeZone: 'UTC', limit: 20 }).map((s) => s.serviceId);
    const codes = concepts.flatMap((c) => conceptById(c)?.codes ?? []);
    return this.d.store.schedulesFor(org, services, codes);
  }

  private async offer(a: PatientAction, reschedules: Booking | null, scheduleIds?: string[] | null, taken?: string): Promise<Outputs> {
    const org = a.organizationId;
    const now = this.d.now();
    const pc = await patientContext(this.d.pool, org, a.patientId);
    const tz = effectiveTimeZone(pc.timeZone);
    const schedules = scheduleIds !== undefined ? scheduleIds : await this.schedules(org, conceptsOf(a.attributes['service']));
    const window = askedWindow(a.attributes['asked_date'], tz);
    const free = schedules !== null && schedules.length === 0 ? [] : await this.d.store.freeSlots(org, schedules, Math.max(now, window.from ?? now), window.to ?? now + this.d.offerHorizonMs);
    const preferred = preferredPart(a.attributes['preferred_time']);
    const chosen = chooseSlots(free, { now, timeZone: tz, ...window, ...(preferred !== undefined ? { preferred } : {}) });
    const base = { ...(a.attributes['service'] ? { service: a.attributes['service'] } : {}), ...(reschedules ? { reschedules: reschedules.id } : {}) };
    if (chosen.length === 0) {
      const type = 'appointment_slots_unavailable';
      return { signals: [signal(a, `booking:${a.actionId}:${type}`, type, { ...base, reason: free.length === 0 ? 'no_free_slots' : 'none_fit' }, now)], requests: [] };
    }
    await this.d.store.recordOffers(org, a.patientId, chosen, reschedules?.id ?? null);
    const type = taken !== undefined ? 'appointment_slot_taken' : 'appointment_slots_offered';
    return { signals: [signal(a, `booking:${a.actionId}:${type}`, type, { ...base, ...slotAttributes(chosen) }, now)], requests: [] };
  }

  private async book(a: PatientAction): Promise<Outputs> {
    const org = a.organizationId;
    const startsAt = Date.parse(a.attributes['starts_at'] ?? '');
    const offered = Number.isFinite(startsAt) ? await this.d.store.offered(org, a.patientId, startsAt) : undefined;
    const slotId = a.attributes['slot_id'] ?? offered?.slotId;
    const now = this.d.now();
    if (slotId === undefined) {
      const type = 'appointment_slots_unavailable';
      return { signals: [signal(a, `booking:${a.actionId}:${type}`, type, { reason: 'not_offered' }, now)], requests: [] };
    }
    const id = `bk_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const held = await this.d.store.hold({ organizationId: org, id, patientId: a.patientId, slotId, causedBy: a.actionId, replaces: offered?.reschedules ?? null });
    if (held.kind === 'taken') {
      // Somebody else got it first: the same schedules' next free slots, said as such.
      const schedule = await this.d.pool.query<{ schedule_id: string }>('SELECT schedule_id FROM care.slots WHERE organization_id = $1 AND id = $2', [org, slotId]);
      const ids = schedule.rows.map((r) => r.schedule_id);
      const reschedules = offered?.reschedules ? await this.d.store.get(org, offered.reschedules) ?? null : null;
      return this.offer(a, reschedules, ids.length > 0 ? ids : null, slotId);
    }
    // A replay of a booking still held re-queues its call (the first run may have crashed before it).
    if (held.booking.status !== 'held') return { signals: [], requests: [] };
    return { signals: [], requests: [hospitalRequest(a, 'book', held.booking.id, now)] };
  }

  private async target(a: PatientAction): Promise<Booking | undefined> {
    const id = a.attributes['appointment_id'];
    return id !== undefined && id !== '' ? this.d.store.get(a.organizationId, id) : this.d.store.nextActive(a.organizationId, a.patientId, this.d.now());
  }

  private async cancel(a: PatientAction): Promise<Outputs> {
    const b = await this.target(a);
    const now = this.d.now();
    if (b === undefined || b.patientId !== a.patientId) {
      return { signals: [signal(a, `booking:${a.actionId}:appointment_not_found`, 'appointment_not_found', {}, now)], requests: [] };
    }
    const reason = a.attributes['reason'] ?? 'patient_request';
    const moved = await this.d.store.transition(b.organizationId, b.id, ['booked'], 'cancelling', { reason });
    if (!moved && b.status !== 'cancelling') return { signals: [], requests: [] }; // already cancelled, or never confirmed
    return { signals: [], requests: [hospitalRequest(a, 'cancel', b.id, now, { reason })] };
  }

  /** A refill request for the pharmacy, queued with the care-plan id only: the name is read again at call time. */
  private async notifyPharmacy(a: PatientAction): Promise<Outputs> {
    const med = await medicationOf(this.d.pool, this.d.keyring, a.organizationId, a.patientId, { ...(a.attributes['medication_id'] ? { id: a.attributes['medication_id'] } : {}), ...(a.attributes['medication'] ? { name: a.attributes['medication'] } : {}) });
    const attributes = { reason: a.attributes['reason'] ?? 'refill', ...(med !== undefined ? { medication_id: med.id } : {}) };
    return { signals: [], requests: [{ ...hospitalRequest(a, 'pharmacy', '', this.d.now(), attributes), requestId: `pharmacy:${a.actionId}` }] };
  }

  private async reschedule(a: PatientAction): Promise<Outputs> {
    const b = await this.target(a);
    if (b === undefined || b.patientId !== a.patientId || b.status !== 'booked') {
      return { signals: [signal(a, `booking:${a.actionId}:appointment_not_found`, 'appointment_not_found', {}, this.d.now())], requests: [] };
    }
    const schedule = await this.d.pool.query<{ schedule_id: string }>('SELECT schedule_id FROM care.slots WHERE organization_id = $1 AND id = $2', [b.organizationId, b.slotId]);
    return this.offer(a, b, schedule.rows.map((r) => r.schedule_id));
  }
}
