import { kafkaSecurity } from '../../platform/kafka/security.js';
import { everyRound } from '../../platform/service/periodic.js';
import { randomInt, randomUUID } from 'node:crypto';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { AnchorTracker, chainHeads } from '../../platform/audit/anchors.js';
import { startInboxLoops } from '../../platform/inbox/scheduler-loops.js';
import { TimerStore, timerKey } from '../../platform/stores/timers.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { ReminderIndex } from '../../platform/stores/reminder-index.js';
import { ProfileStore, profileKeyPrefix } from '../../platform/profiles/store.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { ReminderAnswers } from '../../platform/stores/reminder-answers.js';
import { AuditLog } from '../../platform/audit/audit-log.js';
import { sweepUnknownDoses } from '../../platform/stores/caregiver-loop.js';
import { CaregiverStore } from '../../platform/stores/caregivers.js';
import { deliveryRulesHook } from './reminder-rules.js';
import { ReminderEngine, reminderOptions } from './reminder-engine.js';
import { createReminderMetrics } from './reminder-metrics.js';
import { kafkaPublishedCheck } from './published-check.js';
import { CampaignRunner } from '../../platform/campaigns/runner.js';
import { profileSegments } from '../../platform/campaigns/segments.js';

const POLL_MS = 500;

/**
 * Fires workflow timers (waits, question timeouts, schedules) when they fall due: each becomes a
 * `timer` signal on patient.signals, keyed by patient, that the dialogue hands to the workflow
 * that armed it. Several schedulers may run; each timer fires once. It also anchors the audit
 * chains: every audit.anchorInterval it copies the heads that moved to the audit.anchors topic.
 * With reminders.enabled it runs the reminder engine (care plan → dose_due/refill_due signals); the
 * workflow timers still use their own store until they move onto the engine. It pages the on-call
 * contacts of urgent care-team tasks and counts overdue tasks (platform/inbox).
 */
export const scheduler: ServiceDefinition = {
  name: 'scheduler',
  description: 'fires workflow timers as patient signals; anchors the audit chains in Kafka',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const [publisher, redis] = await Promise.all([ctx.deps.publisher(), ctx.deps.redis()]);
    const timers = new TimerStore(redis, timerKey(ctx.cfg.kafka.topicPrefix, ctx.cfg.redis.keyPrefix));
    let busy = false;
    const tick = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const due = await timers.claimDue(ctx.now());
        const signals: PatientSignal[] = due.map((t) => ({
          signalId: `timer:${t.workflowId}:${t.timerId}:${t.patientId}`, traceId: randomUUID(), organizationId: t.organizationId, patientId: t.patientId,
          type: 'timer', source: 'scheduler', occurredAt: Math.max(t.at, 0), attributes: { workflow_id: t.workflowId, timer_id: t.timerId }, payload: null,
        }));
        try {
          await publisher.publish('patient.signals', signals.map((s) => ({ key: s.patientId, value: s })));
        } catch (err) {
          await timers.schedule(due); // not sent: put them back for the next tick
          throw err;
        }
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'timer tick failed; retrying');
      } finally {
        busy = false;
      }
    };
    const interval = setInterval(() => { void tick(); }, POLL_MS);
    const stopAnchoring = ctx.cfg.audit.anchorInterval > 0 ? await startAnchoring(ctx) : () => undefined;
    const stopReminders = ctx.cfg.reminders.enabled ? await startReminders(ctx) : () => undefined;
    // The care-team inbox's timers: on-call pages of urgent tasks and the overdue count.
    const stopInbox = startInboxLoops({ cfg: ctx.cfg, pool: await ctx.deps.postgres(), log: ctx.log, metrics: ctx.metrics, now: ctx.now });
    const stopCampaigns = await startCampaigns(ctx);
    return {
      name: 'scheduler', endpoints: [], checks: ctx.deps.checks(['kafka', 'registry', 'redis', 'postgres']),
      stop: async () => { clearInterval(interval); stopAnchoring(); stopReminders(); stopInbox(); stopCampaigns(); },
    };
  },
};

/** How often the campaign runner looks for consented cohort patients who have not had their programme's start. */
const CAMPAIGN_ROUND_MS = 30_000;

/** The campaign runner (platform/campaigns/runner.ts): a round now and every CAMPAIGN_ROUND_MS. */
async function startCampaigns(ctx: ServiceContext): Promise<() => void> {
  const [publisher, pool, redis] = await Promise.all([ctx.deps.publisher(), ctx.deps.postgres(), ctx.deps.redis()]);
  const runner = new CampaignRunner({
    pool, now: ctx.now, segmentsOf: profileSegments(new ProfileStore(redis, profileKeyPrefix(ctx.cfg))),
    publish: (signals) => publisher.publish('patient.signals', signals.map((s) => ({ key: s.patientId, value: s }))),
  });
  const timer = everyRound(CAMPAIGN_ROUND_MS, async () => {
    await runner.round();
    ctx.metrics.taskLastSuccess.set({ task: 'campaign_runner' }, ctx.now() / 1000);
  }, (err) => {
    ctx.metrics.taskFailures.inc({ task: 'campaign_runner' });
    ctx.log.warn({ code: err.code }, 'campaign round failed; retrying next round');
  }, true);
  return () => clearInterval(timer);
}

/** Copies moved audit chain heads to audit.anchors now and every audit.anchorInterval. */
async function startAnchoring(ctx: ServiceContext): Promise<() => void> {
  const [publisher, pool] = await Promise.all([ctx.deps.publisher(), ctx.deps.postgres()]);
  const tracker = new AnchorTracker();
  const timer = everyRound(ctx.cfg.audit.anchorInterval, async () => {
    const moved = tracker.changed(await chainHeads(pool, ctx.now()));
    await publisher.publish('audit.anchors', moved.map((a) => ({ key: a.organizationId, value: a })));
    tracker.markSent(moved);
    ctx.metrics.taskLastSuccess.set({ task: 'audit_anchor' }, ctx.now() / 1000);
  }, (err) => {
    ctx.metrics.taskFailures.inc({ task: 'audit_anchor' });
    ctx.log.warn({ code: err.code }, 'audit anchoring failed; retrying next round');
  }, true);
  return () => clearInterval(timer);
}

/** Kafka stamps records on the wall clock: a search from a due time on a shifted clock (clock.offset) starts that much earlier or later. */
function wallClockSince<R>(check: (reminders: R, since: number) => Promise<Set<string>>, offset: number): (reminders: R, since: number) => Promise<Set<string>> {
  return offset === 0 ? check : async (reminders, since) => check(reminders, since - offset);
}

const PRUNE_INTERVAL_MS = 10 * 60_000;
const PRUNE_BATCH = 5_000;
/** A round deletes at most this many batches, so it never holds the database for long; the next round goes on. */
const PRUNE_BATCHES_PER_ROUND = 20;

/** Deletes occurrences that are over and older than the retention, batch by batch. */
export async function pruneOccurrences(store: Pick<OccurrenceStore, 'pruneBefore'>, before: number, pruned?: { inc(n: number): void }): Promise<number> {
  let total = 0;
  for (let i = 0; i < PRUNE_BATCHES_PER_ROUND; i++) {
    const n = await store.pruneBefore(before, PRUNE_BATCH);
    total += n;
    if (n > 0) pruned?.inc(n);
    if (n < PRUNE_BATCH) break;
  }
  return total;
}

/** Runs the reminder engine's three loops (plan, index, dispatch), each skipping a round while the last one runs. */
async function startReminders(ctx: ServiceContext): Promise<() => void> {
  const [publisher, pool, redis, catalogue] = await Promise.all([ctx.deps.publisher(), ctx.deps.postgres(), ctx.deps.redis(), ctx.deps.catalogue()]);
  const r = ctx.cfg.reminders;
  const metrics = createReminderMetrics(ctx.metrics.registry);
  const profiles = new ProfileStore(redis, profileKeyPrefix(ctx.cfg));
  const engine = new ReminderEngine(
    {
      pool, occurrences: new OccurrenceStore(pool, ctx.cfg.kafka.topicPrefix), index: new ReminderIndex(redis, ctx.cfg.kafka.topicPrefix, ctx.cfg.redis.keyPrefix), publisher, metrics, newTraceId: randomUUID,
      profiles,
      // A redelivered claim is checked against Kafka before it is published again: none twice after a kill.
      published: wallClockSince(kafkaPublishedCheck({ brokers: ctx.cfg.kafka.brokers, ...kafkaSecurity(ctx.cfg) }, publisher.physical('patient.signals'), catalogue, 30_000), ctx.cfg.clock.offset),
      ...(r.rules ? { rules: deliveryRulesHook(new ReminderAnswers(pool, ctx.cfg.kafka.topicPrefix), { doseWindowMs: r.doseWindow, spreadMs: r.spreadWindow, profiles, onSendTime: (outcome, n) => metrics.sendTime.inc({ outcome }, n) }) } : {}),
    },
    reminderOptions(r),
  );
  const loop = (stage: string, every: number, round: () => Promise<unknown>): NodeJS.Timeout => everyRound(every, round, (err) => {
    metrics.failed.inc({ stage });
    ctx.log.warn({ code: err.code, stage }, 'reminder round failed; retrying next round');
  }, true);
  const occurrences = new OccurrenceStore(pool, ctx.cfg.kafka.topicPrefix);
  const timers = [
    loop('plan', r.planInterval, () => engine.planBehind(ctx.now())),
    loop('index', r.indexInterval, () => engine.index(ctx.now())),
    loop('dispatch', r.pollInterval, () => engine.dispatch(ctx.now(), randomInt(r.shards), ctx.now)),
  ];
  if (r.retention > 0) {
    timers.push(loop('prune', PRUNE_INTERVAL_MS, () => pruneOccurrences(occurrences, ctx.now() - r.retention, metrics.pruned)));
  }
  if (r.caregiverSweepInterval > 0) {
    const deployment = ctx.cfg.kafka.topicPrefix;
    const caregiverLoop = { answers: new ReminderAnswers(pool, deployment), caregivers: new CaregiverStore(pool, deployment, new AuditLog(pool)), publisher, newTraceId: randomUUID };
    // Catches a round the scheduler missed: a run is reported once, so the overlap costs only queries.
    const window = Math.max(3_600_000, 3 * r.caregiverSweepInterval);
    timers.push(loop('caregiver_sweep', r.caregiverSweepInterval, () => sweepUnknownDoses(caregiverLoop, pool, deployment, ctx.now(), window)));
  }
  return () => { for (const t of timers) clearInterval(t); };
}
