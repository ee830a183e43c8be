import type pg from 'pg';
import type { PlannedReminder, PatientPlan } from '../reminders/plan.js';
import type { DosageTiming } from '../reminders/occurrences.js';
import { parseQuietHours } from '../reminders/quiet-hours.js';
import { DEFAULT_ROUTINE, routineWith, type Moment } from '../reminders/routine.js';
import { withTransaction, type PgPool } from '../storage/postgres.js';
import { effectiveTimeZone } from '../time/zones.js';
import type { IndexedReminder } from './reminder-index.js';

export type OccurrenceState = 'pending' | 'indexed' | 'dispatched' | 'cancelled';
/** An occurrence's state as dispatch sees it: a pending one whose patient is no longer active (STOP, erased) reads `patient_inactive`. */
export type DispatchState = OccurrenceState | 'patient_inactive';

/** A persisted occurrence, as operators and the index read it. */
export interface StoredOccurrence extends IndexedReminder {
  state: OccurrenceState;
  shard: number;
  deliveries: number;
}

/**
 * The organisation's routine (organizations.reminder_routine: {moments, daily, quietHours}): the
 * built-in one with its overrides; overrides that do not parse are ignored whole.
 */
function routineOf(raw: unknown): PatientPlan['routine'] {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as { moments?: Partial<Record<Moment, string>>; daily?: Record<number, string[]> };
  try {
    return routineWith(DEFAULT_ROUTINE, { moments: o.moments ?? {}, daily: o.daily ?? {} });
  } catch {
    return DEFAULT_ROUTINE;
  }
}

/** What planning reads of one patient: zone, routine, medications with their FHIR timing, latest dispenses; null when not an active patient. */
export async function loadPatientPlan(q: pg.Pool | pg.ClientBase, patientId: string): Promise<PatientPlan | null> {
  const { rows: [p] } = await q.query<{ organization_id: string; tz: string | null; org_tz: string; status: string; routine: unknown }>(
    `SELECT p.organization_id, p.timezone AS tz, o.timezone AS org_tz, p.status, o.reminder_routine AS routine
       FROM patients p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1`, [patientId]);
  if (p === undefined || p.status !== 'active') return null;
  const [items, dispenses] = await Promise.all([
    q.query<{ id: string; schedule_times: string[]; active: boolean; created_at: Date; timing: DosageTiming[] | null; authored_on: Date | null; request_status: string | null }>(
      `SELECT m.id, m.schedule_times, m.active, m.created_at, r.timing, r.authored_on, r.status AS request_status
         FROM patient_medications m
         LEFT JOIN care.medication_requests r ON r.organization_id = m.organization_id AND r.id = m.id
        WHERE m.patient_id = $1`, [patientId]),
    q.query<{ id: string; request_id: string | null; when_handed_over: Date; days_supply: string | null }>(
      `SELECT DISTINCT ON (coalesce(request_id, id)) id, request_id, when_handed_over, days_supply
         FROM care.medication_dispenses
        WHERE organization_id = $1 AND patient_id = $2 AND status = 'completed' AND when_handed_over IS NOT NULL
        ORDER BY coalesce(request_id, id), when_handed_over DESC`, [p.organization_id, patientId]),
  ]);
  const { appointments, pickups } = await loadVisitsAndPickups(q, p.organization_id, patientId);
  return {
    appointments, pickups,
    organizationId: p.organization_id, patientId, timeZone: effectiveTimeZone(p.tz, p.org_tz), routine: routineOf(p.routine),
    quietHours: parseQuietHours((p.routine as { quietHours?: unknown } | null)?.quietHours),
    items: items.rows.map((r) => ({
      id: r.id, organizationId: p.organization_id, patientId, scheduleTimes: r.schedule_times, timing: r.timing ?? [],
      active: r.active && (r.request_status === null || r.request_status === 'active'), anchor: (r.authored_on ?? r.created_at).getTime(),
    })),
    dispenses: dispenses.rows.map((d) => ({ id: d.id, requestId: d.request_id, handedOverAt: d.when_handed_over.getTime(), daysSupply: d.days_supply === null ? null : Number(d.days_supply) })),
  };
}

/** Booked appointments (imported and booked in chat; the planner keeps those ahead of its clock) and dispenses ready at the pharmacy but not collected. */
async function loadVisitsAndPickups(q: pg.Pool | pg.ClientBase, org: string, patientId: string): Promise<Pick<PatientPlan, 'appointments' | 'pickups'>> {
  const [visits, ready] = await Promise.all([
    q.query<{ id: string; starts_at: Date }>(
      `SELECT id, starts_at FROM care.appointments WHERE organization_id = $1 AND patient_id = $2 AND status = 'booked' AND starts_at IS NOT NULL
       UNION ALL
       SELECT id, starts_at FROM booking.bookings WHERE organization_id = $1 AND patient_id = $2 AND status = 'booked'`, [org, patientId]),
    q.query<{ id: string; request_id: string | null; when_prepared: Date }>(
      `SELECT id, request_id, when_prepared FROM care.medication_dispenses
        WHERE organization_id = $1 AND patient_id = $2 AND status IN ('preparation', 'in-progress') AND when_prepared IS NOT NULL AND when_handed_over IS NULL`, [org, patientId]),
  ]);
  return {
    appointments: visits.rows.map((r) => ({ id: r.id, startsAt: r.starts_at.getTime() })),
    pickups: ready.rows.map((r) => ({ id: r.id, requestId: r.request_id, preparedAt: r.when_prepared.getTime() })),
  };
}

const toIndexed = (r: OccurrenceRow): IndexedReminder =>
  ({ id: r.id, organizationId: r.organization_id, patientId: r.patient_id, kind: r.kind, medicationId: r.medication_id ?? '', dueAt: r.due_at.getTime() });

interface OccurrenceRow { id: string; organization_id: string; patient_id: string; kind: string; medication_id: string | null; due_at: Date }

/**
 * The stored occurrences of one deployment (its topic prefix): deployments and test runs that share
 * a database each plan, index and dispatch only their own.
 */
export class OccurrenceStore {
  constructor(private readonly pool: PgPool, private readonly deployment: string) {}

  /**
   * Makes the patient's future in [from, …) what the plan says: new occurrences are added, ones no
   * longer planned are cancelled (a stopped prescription, a changed time); dispatched ones stay.
   */
  async replaceFuture(patientId: string, organizationId: string, planned: ReadonlyArray<PlannedReminder & { shard: number }>, from: number, until: number): Promise<{ added: number; cancelled: number }> {
    return withTransaction(this.pool, async (c) => {
      const ids = planned.map((r) => r.id);
      const cancelled = await c.query(
        `UPDATE reminders.occurrences SET state = 'cancelled'
          WHERE deployment = $1 AND patient_id = $2 AND due_at >= $3 AND state IN ('pending', 'indexed') AND NOT (id = ANY($4::text[]))`,
        [this.deployment, patientId, new Date(from), ids]);
      const added = await c.query(
        `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
         SELECT $1, i, $2, $3, k, pi, nullif(mi, ''), to_timestamp(d / 1000.0), s
           FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::int[]) AS u(i, k, pi, mi, d, s)
         ON CONFLICT (deployment, id) DO UPDATE SET state = 'pending', due_at = EXCLUDED.due_at, medication_id = EXCLUDED.medication_id
           WHERE reminders.occurrences.state IN ('cancelled', 'pending') AND (reminders.occurrences.state = 'cancelled' OR reminders.occurrences.due_at <> EXCLUDED.due_at OR reminders.occurrences.medication_id IS DISTINCT FROM EXCLUDED.medication_id)`,
        [this.deployment, organizationId, patientId, ids, planned.map((r) => r.kind), planned.map((r) => r.planItemId), planned.map((r) => r.medicationId), planned.map((r) => r.dueAt), planned.map((r) => r.shard)]);
      await c.query(
        `INSERT INTO reminders.plans (deployment, patient_id, organization_id, planned_until, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (deployment, patient_id) DO UPDATE SET planned_until = EXCLUDED.planned_until, updated_at = EXCLUDED.updated_at`,
        [this.deployment, patientId, organizationId, new Date(until), new Date(from)]);
      return { added: added.rowCount ?? 0, cancelled: cancelled.rowCount ?? 0 };
    });
  }

  /** Active patients with an active medication or a booked appointment ahead whose plan ends before `until` (or who have none yet), of the given organisations (none: all). */
  async patientsBehind(until: number, limit: number, organizations: readonly string[] = []): Promise<string[]> {
    const { rows } = await this.pool.query<{ patient_id: string }>(
      `WITH remindable AS (
         SELECT patient_id, organization_id FROM patient_medications WHERE active
         UNION SELECT patient_id, organization_id FROM booking.bookings WHERE status = 'booked' AND starts_at > now() - interval '1 day'
         UNION SELECT patient_id, organization_id FROM care.appointments WHERE status = 'booked' AND starts_at > now() - interval '1 day' AND patient_id IS NOT NULL)
       SELECT DISTINCT m.patient_id FROM remindable m
         JOIN patients p ON p.id = m.patient_id
         LEFT JOIN reminders.plans pl ON pl.deployment = $1 AND pl.patient_id = m.patient_id
        WHERE p.status = 'active' AND (pl.planned_until IS NULL OR pl.planned_until < $2)
          AND (cardinality($4::text[]) = 0 OR m.organization_id = ANY($4::text[]))
        LIMIT $3`, [this.deployment, new Date(until), limit, organizations]);
    return rows.map((r) => r.patient_id);
  }

  /**
   * Moves a shard's pending occurrences due before `until` into the index: `add` runs inside the
   * transaction, so a failed Redis write leaves them pending for the next round.
   */
  async indexPending(shard: number, until: number, limit: number, add: (rs: IndexedReminder[]) => Promise<void>): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const { rows } = await c.query<OccurrenceRow>(
        `SELECT id, organization_id, patient_id, kind, medication_id, due_at FROM reminders.occurrences
          WHERE deployment = $1 AND shard = $2 AND state = 'pending' AND due_at < $3 ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [this.deployment, shard, new Date(until), limit]);
      if (rows.length === 0) return 0;
      await add(rows.map(toIndexed));
      await c.query(`UPDATE reminders.occurrences SET state = 'indexed' WHERE deployment = $1 AND id = ANY($2::text[])`, [this.deployment, rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** After a Redis flush: everything indexed but not dispatched goes back to pending, to be indexed again. */
  async unindexAll(): Promise<number> {
    const res = await this.pool.query(`UPDATE reminders.occurrences SET state = 'pending' WHERE deployment = $1 AND state = 'indexed'`, [this.deployment]);
    return res.rowCount ?? 0;
  }

  async statesOf(ids: readonly string[]): Promise<Map<string, DispatchState>> {
    if (ids.length === 0) return new Map();
    // The patient's status is read with the state: a STOP committed after the occurrence was indexed,
    // before the planner re-planned, must still hold the reminder back at dispatch. An occurrence
    // with no patient row (benchmarks insert occurrences alone) is left to its own state.
    const { rows } = await this.pool.query<{ id: string; state: DispatchState }>(
      `SELECT o.id, CASE WHEN o.state IN ('pending', 'indexed') AND coalesce(p.status, 'active') <> 'active' THEN 'patient_inactive' ELSE o.state END AS state
         FROM reminders.occurrences o LEFT JOIN patients p ON p.id = o.patient_id
        WHERE o.deployment = $1 AND o.id = ANY($2::text[])`, [this.deployment, ids]);
    return new Map(rows.map((r) => [r.id, r.state]));
  }

  /** Cancels these occurrences unless already sent (a patient no longer active at dispatch). */
  async cancel(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE reminders.occurrences SET state = 'cancelled' WHERE deployment = $1 AND id = ANY($2::text[]) AND state IN ('pending', 'indexed')`, [this.deployment, ids]);
  }

  /** Records the signals as sent (a cancelled occurrence stays cancelled). */
  async markDispatched(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE reminders.occurrences SET state = CASE WHEN state = 'cancelled' THEN state ELSE 'dispatched' END,
              dispatched_at = coalesce(dispatched_at, $3), deliveries = deliveries + 1
        WHERE deployment = $1 AND id = ANY($2::text[])`, [this.deployment, ids, new Date(now)]);
  }

  /** A patient's occurrences from `from` on, in time order (operators' view: ids and times only). */
  /**
   * Deletes up to `limit` occurrences that are over (dispatched or cancelled) and were due before
   * `before`, oldest first, with their answers; returns how many went. Pending and indexed ones stay,
   * whatever their age (they are still to be sent).
   */
  async pruneBefore(before: number, limit: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `WITH gone AS (
         DELETE FROM reminders.occurrences WHERE deployment = $1 AND id IN (
           SELECT id FROM reminders.occurrences WHERE deployment = $1 AND state IN ('dispatched', 'cancelled') AND due_at < $2 ORDER BY due_at LIMIT $3)
         RETURNING id),
       answers AS (DELETE FROM reminders.answers a USING gone WHERE a.deployment = $1 AND a.occurrence_id = gone.id)
       SELECT count(*) AS n FROM gone`, [this.deployment, new Date(before), limit]);
    return Number(rows[0]?.n ?? 0);
  }

  async upcoming(patientId: string, from: number, limit: number): Promise<StoredOccurrence[]> {
    const { rows } = await this.pool.query<OccurrenceRow & { state: OccurrenceState; shard: number; deliveries: number }>(
      `SELECT id, organization_id, patient_id, kind, medication_id, due_at, state, shard, deliveries FROM reminders.occurrences
        WHERE deployment = $1 AND patient_id = $2 AND due_at >= $3 ORDER BY due_at, id LIMIT $4`, [this.deployment, patientId, new Date(from), limit]);
    return rows.map((r) => ({ ...toIndexed(r), state: r.state, shard: r.shard, deliveries: r.deliveries }));
  }
}
