import { randomUUID } from 'node:crypto';
import type { PatientAction, PatientSignal } from '../../schemas/generated/avro-types.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import { CoalescingWriter } from '../../platform/storage/coalescing-writer.js';
import { withTransaction, type PgPool } from '../../platform/storage/postgres.js';
import type { Logger } from '../../platform/log.js';
import { intake, type IntakeDeps } from '../../platform/inbox/intake.js';
import { TaskStore } from '../../platform/inbox/task-store.js';
import { inboxDefaults } from '../../platform/inbox/wiring.js';
import { ConversationHolds } from '../../platform/stores/conversation-holds.js';
import { parseQuietHours } from '../../platform/reminders/quiet-hours.js';
import { AuditLog } from '../../platform/audit/audit-log.js';
import { checkCaregivers, type CaregiverLoopDeps } from '../../platform/stores/caregiver-loop.js';
import { CaregiverStore } from '../../platform/stores/caregivers.js';
import { answerReminder, ReminderAnswers } from '../../platform/stores/reminder-answers.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { CampaignStore } from '../../platform/campaigns/store.js';

/** Adherence rows of many patients in one INSERT; idempotent by action id (replays change nothing). */
export function adherenceWriter(pool: PgPool): CoalescingWriter<PatientAction> {
  return new CoalescingWriter(async (rows) => {
    await pool.query(
      `INSERT INTO adherence_events (id, patient_id, organization_id, medication_id, taken, occurred_at)
       SELECT id, patient_id, organization_id, NULLIF(medication_id, ''), taken, to_timestamp(occurred_ms / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::float8[])
           AS r(id, patient_id, organization_id, medication_id, taken, occurred_ms)
       ON CONFLICT (id) DO NOTHING`,
      [rows.map((a) => a.actionId), rows.map((a) => a.patientId), rows.map((a) => a.organizationId),
        rows.map((a) => a.attributes['medication_id'] ?? ''), rows.map((a) => a.attributes['taken'] === 'true'), rows.map((a) => a.occurredAt)]);
  });
}

/** Applies one action to the system of record; idempotent by action id (replays change nothing). */
export async function applyAction(pool: PgPool, adherence: CoalescingWriter<PatientAction>, a: PatientAction, ctx: { readonly log: Logger }, inbox: IntakeDeps, reminders?: ReminderAnswers, caregiverLoop?: CaregiverLoopDeps): Promise<void> {
  if (reminders !== undefined) await answerReminder(reminders, a);
  // A skipped dose may complete a run of misses: the caregiver loop looks at once (it reports a run once).
  if (caregiverLoop !== undefined && a.type === 'record_adherence' && a.attributes['taken'] === 'false') {
    await checkCaregivers(caregiverLoop, a.organizationId, a.patientId, await caregiverLoop.caregivers.threshold(a.organizationId), a.occurredAt);
  }
  switch (a.type) {
    case 'record_adherence':
      await adherence.add(a);
      return;
    case 'set_quiet_hours': {
      const quiet = parseQuietHours({ start: a.attributes['start'], end: a.attributes['end'] });
      if (quiet !== null && reminders !== undefined) await reminders.setQuietHours(a.patientId, a.organizationId, quiet, 'chat');
      return;
    }
    case 'opt_out': case 'opt_in': {
      const granted = a.type === 'opt_in';
      const channel = a.attributes['channel'] === 'sms' ? 'sms' : 'web';
      // The status and the consent record change together: nobody sees one without the other.
      await withTransaction(pool, async (client) => {
        await client.query(`UPDATE patients SET status = $3, updated_at = now() WHERE id = $1 AND organization_id = $2 AND status <> 'erased'`,
          [a.patientId, a.organizationId, granted ? 'active' : 'opted_out']);
        await client.query(
          `INSERT INTO consents (patient_id, organization_id, channel, granted, recorded_at, source) VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6)
           ON CONFLICT (patient_id, channel) DO UPDATE SET granted = EXCLUDED.granted, recorded_at = EXCLUDED.recorded_at, source = EXCLUDED.source
           WHERE consents.recorded_at <= EXCLUDED.recorded_at`,
          [a.patientId, a.organizationId, channel, granted, a.occurredAt, a.attributes['source'] ?? 'chat']); // 'carrier_21610' when Twilio reports the number unsubscribed
      });
      // Once the status is committed, the reminder-planner re-plans the patient: STOP cancels what was planned, START brings it back.
      await inbox.publisher.publish('patient.signals', [{ key: a.patientId, value: statusChanged(a) }]);
      return;
    }
    case 'withdraw_consent': {
      // "Stop the program messages" in the chat: every programme consent the patient gave is withdrawn
      // (source chat); the next campaign send, and one being dispatched, see it.
      const purposes = await new CampaignStore(pool, () => a.occurredAt).withdrawAllByChat(a.organizationId, a.patientId, a.occurredAt);
      ctx.log.info({ action: a.type, withdrawn: purposes.length }, 'programme consent withdrawn by chat');
      return;
    }
    case 'escalate': case 'handoff':
      ctx.log.warn({ action: a.type, priority: a.attributes['priority'] ?? 'normal', reason: a.attributes['reason'] ?? '' }, 'patient needs the care team');
      // The escalation becomes a task of the care-team inbox (paged at once when urgent).
      await intake(inbox, a, ctx.log);
      return;
    default:
      return; // reminders and custom actions are handled by their own processors
  }
}

/** The signal a STOP or START leaves on patient.signals; its id derives from the action's, so a replay is the same signal. */
export function statusChanged(a: PatientAction): PatientSignal {
  return {
    signalId: `status:${a.actionId}`, traceId: a.traceId, organizationId: a.organizationId, patientId: a.patientId, type: 'patient_updated', source: 'actions',
    occurredAt: a.occurredAt, attributes: { change: a.type }, payload: null,
  };
}

export const actions: ServiceDefinition = {
  name: 'actions',
  description: 'records adherence and consent from patient.actions; escalations become care-team tasks',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    const pool = await deps.postgres();
    const adherence = adherenceWriter(pool);
    const reminders = new ReminderAnswers(pool, ctx.cfg.kafka.topicPrefix);
    const [redis, keyring, publisher] = await Promise.all([deps.redis(), deps.keyring(), deps.publisher()]);
    const inbox: IntakeDeps = {
      pool, tasks: new TaskStore(pool, ctx.cfg.kafka.topicPrefix, inboxDefaults(ctx.cfg)), holds: new ConversationHolds(redis, ctx.cfg.redis.keyPrefix),
      keyring, publisher, now: ctx.now,
    };
    const caregiverLoop: CaregiverLoopDeps = {
      answers: reminders, caregivers: new CaregiverStore(pool, ctx.cfg.kafka.topicPrefix, new AuditLog(pool)), publisher, newTraceId: randomUUID,
    };
    const consumer = await startGroupConsumer(ctx, 'actions', {
      // The record context's logger is built on first use, so it is passed whole.
      process: async (value, rc) => applyAction(pool, adherence, value as PatientAction, rc, inbox, reminders, caregiverLoop),
    });
    return { name: 'actions', endpoints: [], checks: deps.checks(['kafka', 'registry', 'postgres', 'redis']), stop: () => consumer.stop() };
  },
};
