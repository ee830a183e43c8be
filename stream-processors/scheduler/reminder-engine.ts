import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import type { PlannedReminder } from '../../platform/reminders/plan.js';
import { minutesOf } from '../../platform/reminders/routine.js';
import type { Config } from '../../platform/config/config.js';
import { plannedAtOf, subjectOf } from '../../platform/reminders/ids.js';
import { CareloopError } from '../../platform/errors.js';
import type { Publisher } from '../../platform/kafka/publisher.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { ClaimedReminder, ReminderIndex } from '../../platform/stores/reminder-index.js';
import type { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import type { Scores } from '../../platform/profiles/features.js';
import type { ProfileStore } from '../../platform/profiles/store.js';
import type { ReminderMetrics } from './reminder-metrics.js';
import { ReminderPlanner } from './reminder-planner.js';

export interface ReminderEngineOptions {
  shards: number;
  planHorizon: number;
  indexHorizon: number;
  visibilityTimeout: number;
  batchSize: number;
  /** Shards drained at the same time in one dispatch round. */
  dispatchConcurrency: number;
  refillLeadDays: number;
  refillTime: string;
  /** Organisations whose patients are planned; empty: all. */
  organizations: readonly string[];
}

export interface ReminderEngineDeps {
  pool: PgPool;
  occurrences: OccurrenceStore;
  index: ReminderIndex;
  publisher: Pick<Publisher, 'publish'>;
  metrics: ReminderMetrics;
  newTraceId: () => string;
  /** The profile store (read only): a reminder carries the patient's risk level and segment for the workflows and delivery. */
  profiles?: Pick<ProfileStore, 'getMany'>;
  /** The patient's delivery rules over what was planned (stream-processors/scheduler/reminder-rules.ts); absent: as planned. */
  rules?: (patientId: string, planned: PlannedReminder[], now?: number) => Promise<PlannedReminder[]>;
  /**
   * Which of these redelivered reminders' signals patient.signals already holds, published at or
   * after `since` (a scheduler killed after publishing, before marking them): they are marked, not
   * sent again. Absent: redeliveries are published again (copies with the same signal id).
   */
  published?: (reminders: readonly ClaimedReminder[], since: number) => Promise<Set<string>>;
}

/** The engine's options from config; a refill time that is not HH:MM fails at start with its key. */
export function reminderOptions(cfg: Config['reminders']): ReminderEngineOptions {
  if (minutesOf(cfg.refillTime) === null) throw new CareloopError('CONFIG_INVALID', 'config key "reminders.refillTime" must be HH:MM', { details: { key: 'reminders.refillTime' } });
  // The chat's adherence summary reads 30 days of occurrences: a shorter retention would erase what it counts.
  if (cfg.retention > 0 && cfg.retention < 31 * 86_400_000) throw new CareloopError('CONFIG_INVALID', 'config key "reminders.retention" must be 0s (keep everything) or at least 31d', { details: { key: 'reminders.retention' } });
  return {
    shards: cfg.shards, planHorizon: cfg.planHorizon, indexHorizon: cfg.indexHorizon, visibilityTimeout: cfg.visibilityTimeout, batchSize: cfg.batchSize, dispatchConcurrency: cfg.dispatchConcurrency,
    refillLeadDays: cfg.refillLeadDays, refillTime: cfg.refillTime, organizations: cfg.organizations.split(',').map((o) => o.trim()).filter((o) => o !== ''),
  };
}

/** How many of the reminders that pass `keep` there are of each kind (one metric update per kind, not per reminder). */
function countBy(reminders: readonly ClaimedReminder[], keep: (c: ClaimedReminder) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of reminders) if (keep(c)) out.set(c.kind, (out.get(c.kind) ?? 0) + 1);
  return out;
}

/**
 * The reminder engine: plan (care plan → occurrences in PostgreSQL), index (pending occurrences due
 * within the index horizon → the shard's Redis due set), dispatch (claim due → publish the signal
 * with the occurrence id as signalId → mark dispatched → acknowledge). Each step takes `now`, so
 * tests drive it with a fake clock; every step is safe to run on several schedulers at once.
 */
export class ReminderEngine {
  readonly planner: ReminderPlanner;

  constructor(private readonly deps: ReminderEngineDeps, private readonly opts: ReminderEngineOptions) {
    this.planner = new ReminderPlanner({ pool: deps.pool, occurrences: deps.occurrences, metrics: deps.metrics, ...(deps.rules !== undefined ? { rules: deps.rules } : {}) },
      { shards: opts.shards, planHorizon: opts.planHorizon, refillLeadDays: opts.refillLeadDays, refillAt: opts.refillTime });
  }

  /** Re-plans one patient from `now` over the plan horizon (a care-plan change calls this). */
  async planPatient(patientId: string, now: number): Promise<{ added: number; cancelled: number }> {
    return this.planner.planPatient(patientId, now);
  }

  /** A care-plan change from patient.signals re-plans the patient at once; other signals are ignored. Returns whether it re-planned. */
  async onSignal(signal: Pick<PatientSignal, 'type' | 'patientId'>, now: number): Promise<boolean> {
    return this.planner.onSignal(signal, now);
  }

  /** Plans patients whose plan ends within half a horizon (or who have none); returns how many. */
  async planBehind(now: number, limit = 500): Promise<number> {
    return this.planner.planBehind(now, this.opts.organizations, limit);
  }

  /** Copies pending occurrences due before now + index horizon into the due index; after a Redis flush, re-indexes everything first. */
  async index(now: number): Promise<number> {
    if (!(await this.deps.index.epochPresent())) {
      await this.deps.occurrences.unindexAll();
      await this.deps.index.markEpoch(now);
    }
    let total = 0;
    await this.eachShard(0, async (shard) => {
      for (;;) {
        const n = await this.deps.occurrences.indexPending(shard, now + this.opts.indexHorizon, this.opts.batchSize, (rs) => this.deps.index.add(shard, rs));
        total += n;
        if (n < this.opts.batchSize) break;
      }
    });
    return total;
  }

  /** Claims what is due in one shard (and expired claims); the claim must be delivered, or it comes back after the visibility timeout. */
  async claim(shard: number, now: number): Promise<ClaimedReminder[]> {
    const claimed = await this.deps.index.claim(shard, now, this.opts.visibilityTimeout, this.opts.batchSize);
    for (const [kind, n] of countBy(claimed, (c) => !c.redelivery)) this.deps.metrics.due.inc({ kind }, n);
    for (const [kind, n] of countBy(claimed, (c) => c.redelivery)) this.deps.metrics.redelivered.inc({ kind }, n);
    return claimed;
  }

  /**
   * Publishes the claimed reminders still wanted, records them as sent, then acknowledges the claim.
   * A redelivered one whose signal is already on Kafka is only recorded; a claim whose visibility
   * ended by `clock()` is not published (another scheduler may hold it now).
   */
  async deliver(shard: number, claimed: readonly ClaimedReminder[], now: number, clock: () => number = () => now): Promise<number> {
    if (claimed.length === 0) return 0;
    const states = await this.deps.occurrences.statesOf(claimed.map((c) => c.id));
    // Re-check: one already sent (acknowledgement lost) or re-planned away is dropped, not sent again.
    const inactive: string[] = [];
    const wanted = claimed.filter((c) => {
      const s = states.get(c.id);
      const keep = s === 'indexed' || s === 'pending';
      if (s === 'patient_inactive') inactive.push(c.id);
      else if (!keep) this.deps.metrics.stale.inc({ kind: c.kind });
      if (s === 'cancelled') this.deps.metrics.suppressed.inc({ reason: 'cancelled' });
      return keep;
    });
    if (inactive.length > 0) {
      // STOP (or erasure) committed before the planner caught up: never sent, cancelled here.
      await this.deps.occurrences.cancel(inactive);
      this.deps.metrics.suppressed.inc({ reason: 'not_active' }, inactive.length);
    }
    const found = await this.alreadyPublished(wanted);
    if (found.size > 0) {
      await this.deps.occurrences.markDispatched([...found], now);
      for (const c of wanted) if (found.has(c.id)) this.deps.metrics.foundOnKafka.inc({ kind: c.kind });
    }
    const toSend = found.size === 0 ? wanted : wanted.filter((c) => !found.has(c.id));
    const scores = await this.scoresOf(toSend);
    if (toSend.length > 0 && clock() >= Math.min(...toSend.map((c) => c.deadline))) {
      // Stalled past the visibility timeout: leave it to the next claim, which checks Kafka first.
      this.deps.metrics.failed.inc({ stage: 'claim_expired' });
      return 0;
    }
    try {
      await this.deps.publisher.publish('patient.signals', toSend.map((c, i) => ({ key: c.patientId, value: this.signal(c, scores[i]) })));
    } catch (err) {
      this.deps.metrics.failed.inc({ stage: 'publish' });
      throw err; // unacknowledged: redelivered after the visibility timeout
    }
    // Sent when Kafka acknowledged: the recorded lateness includes this batch's own round trips.
    const sentAt = Math.max(now, clock());
    await this.deps.occurrences.markDispatched(toSend.map((c) => c.id), sentAt);
    for (const [kind, n] of countBy(toSend, () => true)) this.deps.metrics.dispatched.inc({ kind }, n);
    for (const c of toSend) {
      if (c.redelivery) continue;
      this.deps.metrics.lateness.observe({ kind: c.kind }, Math.max(0, sentAt - c.dueAt) / 1000);
      // Due later than the id's planned instant: quiet hours deferred it.
      if ((plannedAtOf(c.id) ?? c.dueAt) < c.dueAt) this.deps.metrics.suppressed.inc({ reason: 'quiet_hours' });
    }
    await this.deps.index.ack(shard, claimed);
    return toSend.length;
  }

  /**
   * One dispatch round over every shard, starting at `firstShard` so schedulers spread out; claims
   * what is due by `now`, and records each batch as sent at `clock()` (a long round's later batches
   * are later, and their lateness says so). Up to `dispatchConcurrency` shards are drained at once,
   * each one batch at a time, so one batch's round trips overlap another's work.
   */
  async dispatch(now: number, firstShard = 0, clock: () => number = () => now): Promise<number> {
    let sent = 0;
    await this.eachShard(firstShard, async (shard) => {
      for (;;) {
        const claimed = await this.claim(shard, now);
        const n = await this.deliver(shard, claimed, Math.max(now, clock()), clock);
        sent += n; // not `sent += await …`: that reads `sent` before the await and loses the other shards' counts
        if (claimed.length < this.opts.batchSize) break;
      }
    });
    return sent;
  }

  /**
   * Runs `work` for every shard from `firstShard` on, `dispatchConcurrency` shards at a time (each
   * shard by one worker only); waits for all, then fails with the first error if any failed.
   */
  private async eachShard(firstShard: number, work: (shard: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.opts.shards) await work((firstShard + next++) % this.opts.shards);
    };
    // Settled, not all: a failed shard must not end the round while the others still run.
    const outcomes = await Promise.allSettled(Array.from({ length: Math.min(this.opts.dispatchConcurrency, this.opts.shards) }, worker));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Signal ids of redelivered reminders already on Kafka. A reminder is published no earlier than
   * it is due, so the search starts at the earliest due time (less the visibility timeout, for
   * clock skew between schedulers): a reminder cut by several kills in a row is still found.
   */
  private async alreadyPublished(wanted: readonly ClaimedReminder[]): Promise<Set<string>> {
    const redelivered = wanted.filter((c) => c.redelivery);
    if (this.deps.published === undefined || redelivered.length === 0) return new Set();
    try {
      return await this.deps.published(redelivered, Math.min(...redelivered.map((c) => c.dueAt)) - this.opts.visibilityTimeout);
    } catch (err) {
      this.deps.metrics.failed.inc({ stage: 'kafka_check' });
      throw err; // unacknowledged: checked again on the next redelivery, never published blind
    }
  }

  /** Risk level and segment index of each reminder's patient; a profile store that fails costs the attributes, not the reminder. */
  private async scoresOf(reminders: readonly ClaimedReminder[]): Promise<Array<Scores | undefined>> {
    if (this.deps.profiles === undefined || reminders.length === 0) return [];
    try {
      return (await this.deps.profiles.getMany(reminders.map((c) => c.patientId))).map((p) => p?.scores);
    } catch {
      this.deps.metrics.failed.inc({ stage: 'profiles' });
      return [];
    }
  }

  private signal(c: ClaimedReminder, scores: Scores | undefined): PatientSignal {
    // The care-plan id only: the dialogue reads the medication's name from the care plan.
    // Filled in place (subjectOf returns a fresh object): no spread copies per reminder in a burst.
    const attributes = subjectOf(c);
    attributes['occurrence_id'] = c.id;
    attributes['due_at'] = new Date(c.dueAt).toISOString();
    if (scores !== undefined && scores.scoredDay !== 0) {
      attributes['risk'] = scores.riskLevel;
      attributes['segment'] = String(scores.segment);
    }
    return {
      signalId: c.id, traceId: this.deps.newTraceId(), organizationId: c.organizationId, patientId: c.patientId, type: c.kind, source: 'scheduler',
      occurredAt: c.dueAt, attributes, payload: null,
    };
  }
}

