import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { reminderOptions } from '../scheduler/reminder-engine.js';
import { createReminderMetrics } from '../scheduler/reminder-metrics.js';
import { ReminderPlanner } from '../scheduler/reminder-planner.js';
import { deliveryRulesHook } from '../scheduler/reminder-rules.js';
import { ReminderAnswers } from '../../platform/stores/reminder-answers.js';
import { ProfileStore, profileKeyPrefix } from '../../platform/profiles/store.js';

/**
 * Re-plans a patient's future reminders the moment their care plan changes: a prescription started,
 * changed or stopped, a new or changed dispense, a patient update (time zone) on patient.signals.
 * The scheduler's plan loop only tops up the horizon; this is what makes a stopped medication stop.
 * With reminders.enabled off it consumes nothing.
 */
export const reminderPlanner: ServiceDefinition = {
  name: 'reminder-planner',
  description: 're-plans a patient\'s reminders at once when patient.signals bring a care-plan change',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    const pool = await deps.postgres();
    if (!ctx.cfg.reminders.enabled) {
      return { name: 'reminder-planner', endpoints: [], checks: deps.checks(['kafka', 'registry', 'postgres']), stop: async () => undefined };
    }
    const opts = reminderOptions(ctx.cfg.reminders);
    const redis = await deps.redis();
    const metrics = createReminderMetrics(ctx.metrics.registry);
    const r = ctx.cfg.reminders;
    // The same delivery rules as the scheduler's plan loop, or a re-plan would undo quiet hours and caps.
    const rules = r.rules ? { rules: deliveryRulesHook(new ReminderAnswers(pool, ctx.cfg.kafka.topicPrefix), {
      doseWindowMs: r.doseWindow, spreadMs: r.spreadWindow,
      // Send times read the profile through the shared store, as the scheduler's plan loop does.
      profiles: new ProfileStore(redis, profileKeyPrefix(ctx.cfg)), onSendTime: (outcome, n) => metrics.sendTime.inc({ outcome }, n),
    }) } : {};
    const planner = new ReminderPlanner({ pool, occurrences: new OccurrenceStore(pool, ctx.cfg.kafka.topicPrefix), metrics, ...rules },
      { shards: opts.shards, planHorizon: opts.planHorizon, refillLeadDays: opts.refillLeadDays, refillAt: opts.refillTime });
    const rollout = new Set(opts.organizations);
    const consumer = await startGroupConsumer(ctx, 'reminder-planner', {
      process: async (value) => {
        const s = value as PatientSignal;
        if (rollout.size > 0 && !rollout.has(s.organizationId)) return;
        await planner.onSignal(s, ctx.now());
      },
    });
    return { name: 'reminder-planner', endpoints: [], checks: deps.checks(['kafka', 'registry', 'postgres']), stop: () => consumer.stop() };
  },
};
