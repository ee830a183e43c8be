import type { FreeSlot } from '../booking/slots.js';
import type { PgPool } from '../storage/postgres.js';
import type { Keyring } from '../crypto/keyring.js';
import { carePlanTextColumns, medicationLabel, openCarePlanText, type CarePlanTextCells } from './care-plan-text.js';

/*
 * The bookings store: every statement on booking.* and the care slots it reads, all scoped by
 * organisation. Written by the booking service (holds, offers) and hospital-outbound (the hospital's
 * answers, drift); this module is their meeting point.
 */

export type BookingStatus = 'held' | 'booked' | 'refused' | 'failed' | 'cancelling' | 'cancelled' | 'noshow';

export interface Booking {
  organizationId: string;
  id: string;
  patientId: string;
  slotId: string;
  startsAt: number;
  endsAt: number;
  serviceTypeCodes: string[];
  status: BookingStatus;
  reason: string | null;
  causedBy: string;
  replaces: string | null;
  hospitalSlotId: string | null;
  hospitalAppointmentId: string | null;
}

interface Row {
  organization_id: string; id: string; patient_id: string; slot_id: string; starts_at: Date; ends_at: Date; service_type_codes: string[];
  status: BookingStatus; reason: string | null; caused_by: string; replaces: string | null; hospital_slot_id: string | null; hospital_appointment_id: string | null;
}

const toBooking = (r: Row): Booking => ({
  organizationId: r.organization_id, id: r.id, patientId: r.patient_id, slotId: r.slot_id, startsAt: r.starts_at.getTime(), endsAt: r.ends_at.getTime(),
  serviceTypeCodes: r.service_type_codes, status: r.status, reason: r.reason, causedBy: r.caused_by, replaces: r.replaces,
  hospitalSlotId: r.hospital_slot_id, hospitalAppointmentId: r.hospital_appointment_id,
});

export const ACTIVE: readonly BookingStatus[] = ['held', 'booked', 'cancelling'];

export type HoldResult = { kind: 'held'; booking: Booking } | { kind: 'replayed'; booking: Booking } | { kind: 'taken' };

export class BookingStore {
  constructor(private readonly pool: PgPool) {}

  /**
   * Free slots of the given schedules (all when null) in [from, to): free at the hospital's last word
   * and not held by any active booking here.
   */
  async freeSlots(org: string, scheduleIds: readonly string[] | null, from: number, to: number, limit = 500): Promise<Array<FreeSlot & { serviceTypeCodes: string[] }>> {
    const { rows } = await this.pool.query<{ id: string; starts_at: Date; ends_at: Date; service_type_codes: string[] }>(
      `SELECT s.id, s.starts_at, s.ends_at, s.service_type_codes FROM care.slots s
        WHERE s.organization_id = $1 AND s.status = 'free' AND s.starts_at >= to_timestamp($2 / 1000.0) AND s.starts_at < to_timestamp($3 / 1000.0)
          AND ($4::text[] IS NULL OR s.schedule_id = ANY($4::text[]))
          AND NOT EXISTS (SELECT 1 FROM booking.bookings b WHERE b.organization_id = s.organization_id AND b.slot_id = s.id AND b.status IN ('held', 'booked', 'cancelling'))
        ORDER BY s.starts_at, s.id LIMIT $5`, [org, from, to, scheduleIds === null ? null : [...scheduleIds], limit]);
    return rows.map((r) => ({ id: r.id, startsAt: r.starts_at.getTime(), endsAt: r.ends_at.getTime(), serviceTypeCodes: r.service_type_codes }));
  }

  /** Active schedules offering one of the services or service types. */
  async schedulesFor(org: string, serviceIds: readonly string[], codes: readonly string[]): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM care.schedules WHERE organization_id = $1 AND active
          AND (actor_refs && $2::text[] OR service_type_codes && $3::text[]) ORDER BY id`,
      [org, serviceIds.map((id) => `HealthcareService/${id}`), [...codes]]);
    return rows.map((r) => r.id);
  }

  async recordOffers(org: string, patientId: string, slots: readonly FreeSlot[], reschedules: string | null): Promise<void> {
    await this.pool.query(
      `INSERT INTO booking.offers (organization_id, patient_id, slot_id, starts_at, reschedules)
       SELECT $1, $2, s, to_timestamp(t / 1000.0), $5 FROM unnest($3::text[], $4::float8[]) AS u(s, t)
       ON CONFLICT (organization_id, patient_id, slot_id) DO UPDATE SET starts_at = EXCLUDED.starts_at, reschedules = EXCLUDED.reschedules, offered_at = now()`,
      [org, patientId, slots.map((s) => s.id), slots.map((s) => s.startsAt), reschedules]);
  }

  /** The slot most recently offered to the patient at that time, and the booking it would replace. */
  async offered(org: string, patientId: string, startsAt: number): Promise<{ slotId: string; reschedules: string | null } | undefined> {
    const { rows } = await this.pool.query<{ slot_id: string; reschedules: string | null }>(
      `SELECT slot_id, reschedules FROM booking.offers WHERE organization_id = $1 AND patient_id = $2 AND starts_at = to_timestamp($3 / 1000.0)
        ORDER BY offered_at DESC LIMIT 1`, [org, patientId, startsAt]);
    const r = rows[0];
    return r === undefined ? undefined : { slotId: r.slot_id, reschedules: r.reschedules };
  }

  /**
   * Holds a slot for a patient: exactly one active booking per slot (the partial unique index decides
   * between concurrent attempts); a replayed action gets its own booking back.
   */
  async hold(b: Omit<Booking, 'status' | 'reason' | 'hospitalSlotId' | 'hospitalAppointmentId' | 'startsAt' | 'endsAt' | 'serviceTypeCodes'>): Promise<HoldResult> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO booking.bookings (organization_id, id, patient_id, slot_id, starts_at, ends_at, service_type_codes, status, caused_by, replaces)
       SELECT s.organization_id, $2, $3, s.id, s.starts_at, s.ends_at, s.service_type_codes, 'held', $4, $5
         FROM care.slots s WHERE s.organization_id = $1 AND s.id = $6 AND s.status = 'free'
       ON CONFLICT DO NOTHING RETURNING *`,
      [b.organizationId, b.id, b.patientId, b.causedBy, b.replaces, b.slotId]);
    if (rows[0] !== undefined) return { kind: 'held', booking: toBooking(rows[0]) };
    const mine = await this.pool.query<Row>('SELECT * FROM booking.bookings WHERE organization_id = $1 AND caused_by = $2', [b.organizationId, b.causedBy]);
    return mine.rows[0] !== undefined ? { kind: 'replayed', booking: toBooking(mine.rows[0]) } : { kind: 'taken' };
  }

  async get(org: string, id: string): Promise<Booking | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM booking.bookings WHERE organization_id = $1 AND id = $2', [org, id]);
    return rows[0] === undefined ? undefined : toBooking(rows[0]);
  }

  /** The patient's next active booking (what "cancel my appointment" means without an id). */
  async nextActive(org: string, patientId: string, now: number): Promise<Booking | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM booking.bookings WHERE organization_id = $1 AND patient_id = $2 AND status IN ('held', 'booked') AND ends_at > to_timestamp($3 / 1000.0)
        ORDER BY starts_at LIMIT 1`, [org, patientId, now]);
    return rows[0] === undefined ? undefined : toBooking(rows[0]);
  }

  /** Moves a booking from one of `from` to `to`; false when it was no longer in `from` (stale work). */
  async transition(org: string, id: string, from: readonly BookingStatus[], to: BookingStatus, fields: { reason?: string; hospitalSlotId?: string; hospitalAppointmentId?: string } = {}): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE booking.bookings SET status = $4, reason = coalesce($5, reason), hospital_slot_id = coalesce($6, hospital_slot_id),
              hospital_appointment_id = coalesce($7, hospital_appointment_id), updated_at = now()
        WHERE organization_id = $1 AND id = $2 AND status = ANY($3::text[])`,
      [org, id, [...from], to, fields.reason ?? null, fields.hospitalSlotId ?? null, fields.hospitalAppointmentId ?? null]);
    return (r.rowCount ?? 0) > 0;
  }

  /** The hospital ids found on a try, kept even if the try then fails: the retry reuses them. */
  async rememberHospitalIds(org: string, id: string, ids: { hospitalSlotId?: string; hospitalAppointmentId?: string }): Promise<void> {
    await this.pool.query(
      `UPDATE booking.bookings SET hospital_slot_id = coalesce($3, hospital_slot_id), hospital_appointment_id = coalesce($4, hospital_appointment_id), updated_at = now()
        WHERE organization_id = $1 AND id = $2`, [org, id, ids.hospitalSlotId ?? null, ids.hospitalAppointmentId ?? null]);
  }

  /** The digest of the hospital's "Slot/<id>" the importer kept for our slot (its source). */
  async slotSourceDigest(org: string, slotId: string): Promise<Buffer | undefined> {
    const { rows } = await this.pool.query<{ source_digest: Buffer | null }>(
      `SELECT source_digest FROM care.resources WHERE organization_id = $1 AND resource_type = 'Slot' AND id = $2`, [org, slotId]);
    return rows[0]?.source_digest ?? undefined;
  }

  /** Bookings the hospital should hold as we do, changed since `since`, for the reconciliation. */
  async forReconciliation(since: number, limit: number): Promise<Booking[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM booking.bookings WHERE updated_at >= to_timestamp($1 / 1000.0)
          AND ((status IN ('booked', 'cancelled') AND hospital_appointment_id IS NOT NULL) OR status IN ('failed', 'refused'))
        ORDER BY updated_at LIMIT $2`, [since, limit]);
    return rows.map(toBooking);
  }

  async recordDrift(org: string, bookingId: string, kind: string, ours: string, theirs: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO booking.drift (organization_id, booking_id, kind, ours, theirs) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (organization_id, booking_id, kind) DO UPDATE SET ours = EXCLUDED.ours, theirs = EXCLUDED.theirs, resolved_at = NULL`,
      [org, bookingId, kind, ours, theirs]);
  }

  async resolveDrift(org: string, bookingId: string, kinds: readonly string[]): Promise<void> {
    await this.pool.query(`UPDATE booking.drift SET resolved_at = now() WHERE organization_id = $1 AND booking_id = $2 AND resolved_at IS NULL AND NOT (kind = ANY($3::text[]))`,
      [org, bookingId, [...kinds]]);
  }
}

/** The patient's zone and language (the organisation's zone when the patient has none). */
export async function patientContext(pool: PgPool, org: string, patientId: string): Promise<{ timeZone: string; language: 'en' | 'es' }> {
  const { rows } = await pool.query<{ tz: string | null; lang: string | null }>(
    `SELECT coalesce(p.timezone, o.timezone) AS tz, p.preferred_language AS lang FROM organizations o
       LEFT JOIN patients p ON p.id = $2 AND p.organization_id = o.id WHERE o.id = $1`, [org, patientId]);
  const r = rows[0];
  return { timeZone: r?.tz ?? 'UTC', language: r?.lang === 'es' ? 'es' : 'en' };
}

/** The care-plan medication a refill request names (by id, else by name): its id only leaves here. */
export async function medicationOf(pool: PgPool, keyring: Pick<Keyring, 'keyById'>, org: string, patientId: string, idOrName: { id?: string; name?: string }): Promise<{ id: string; label: string } | undefined> {
  // The text is sealed: the patient's few active rows are opened here, then matched by id, else by name.
  const { rows } = await pool.query<CarePlanTextCells>(
    `SELECT ${carePlanTextColumns()} FROM patient_medications WHERE organization_id = $1 AND patient_id = $2 AND active ORDER BY id`, [org, patientId]);
  const byId = rows.find((r) => r.id === idOrName.id);
  if (byId !== undefined) return { id: byId.id, label: medicationLabel(await openCarePlanText(keyring, byId)) };
  const wanted = (idOrName.name ?? '').toLowerCase();
  if (wanted === '') return undefined;
  for (const r of rows) {
    const text = await openCarePlanText(keyring, r);
    const label = medicationLabel(text);
    if (text.name.toLowerCase() === wanted || label.toLowerCase() === wanted) return { id: r.id, label };
  }
  return undefined;
}
