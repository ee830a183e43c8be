import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { shardOf } from '../../platform/reminders/ids.js';
import { planPatient, replansOn, type PlannedReminder, type PlanOptions } from '../../platform/reminders/plan.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { loadPatientPlan, type OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import type { ReminderMetrics } from './reminder-metrics.js';

export interface ReminderPlannerOptions extends PlanOptions {
  shards: number;
  planHorizon: number;
}

export interface ReminderPlannerDeps {
  pool: PgPool;
  occurrences: OccurrenceStore;
  metrics: Pick<ReminderMetrics, 'planned' | 'replanned' | 'suppressed'>;
  /** The patient's delivery rules over what was planned (reminder-rules.ts); absent: as planned. */
  rules?: (patientId: string, planned: PlannedReminder[], now?: number) => Promise<PlannedReminder[]>;
}

/**
 * Care plan → stored occurrences, for one patient at a time: the scheduler's plan loop keeps the
 * horizon ahead, the reminder-planner consumer re-plans at once on a care-plan change. Planning is
 * idempotent (stable ids), so both may plan the same patient concurrently.
 */
export class ReminderPlanner {
  constructor(private readonly deps: ReminderPlannerDeps, private readonly opts: ReminderPlannerOptions) {}

  /** Re-plans one patient from `now` over the plan horizon; a patient no longer active (STOP, erased) keeps nothing. */
  async planPatient(patientId: string, now: number): Promise<{ added: number; cancelled: number }> {
    const plan = await loadPatientPlan(this.deps.pool, patientId);
    const until = now + this.opts.planHorizon;
    // With delivery rules (platform/reminders/rules.ts) quiet hours are theirs: the patient's own override the organisation's.
    const raw = plan === null ? [] : planPatient(this.deps.rules === undefined ? plan : { ...plan, quietHours: null }, now, until, this.opts);
    const ruled = plan === null || this.deps.rules === undefined ? raw : await this.deps.rules(patientId, raw, now);
    const planned = ruled.map((r) => ({ ...r, shard: shardOf(r.patientId, this.opts.shards) }));
    const result = await this.deps.occurrences.replaceFuture(patientId, plan?.organizationId ?? '', planned, now, until);
    this.deps.metrics.planned.inc(result.added);
    if (plan === null && result.cancelled > 0) this.deps.metrics.suppressed.inc({ reason: 'not_active' }, result.cancelled);
    return result;
  }

  /** A care-plan change on patient.signals re-plans the patient at once; other signals are ignored. Returns whether it re-planned. */
  async onSignal(signal: Pick<PatientSignal, 'type' | 'patientId'>, now: number): Promise<boolean> {
    if (!replansOn(signal.type)) return false;
    await this.planPatient(signal.patientId, now);
    this.deps.metrics.replanned.inc({ signal: signal.type });
    return true;
  }

  /** Plans patients whose plan ends within half a horizon (or who have none); returns how many. */
  async planBehind(now: number, organizations: readonly string[], limit = 500): Promise<number> {
    const patients = await this.deps.occurrences.patientsBehind(now + this.opts.planHorizon / 2, limit, organizations);
    for (const p of patients) await this.planPatient(p, now);
    return patients.length;
  }
}
