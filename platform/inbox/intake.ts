import type { PatientAction } from '../../schemas/generated/avro-types.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Publisher } from '../kafka/publisher.js';
import type { Logger } from '../log.js';
import type { PgPool } from '../storage/postgres.js';
import type { ConversationHolds } from '../stores/conversation-holds.js';
import { holdNotice, noticeId, outboundFor } from './patient-messages.js';
import { taskFromAction } from './rules.js';
import type { TaskStore } from './task-store.js';

export interface IntakeDeps {
  pool: PgPool;
  tasks: TaskStore;
  holds: ConversationHolds;
  keyring: Keyring;
  publisher: Publisher;
  now: () => number;
}

/**
 * An escalation or handoff on patient.actions becomes a task (once, by action id). An urgent one
 * starts paging at once; a handoff holds the conversation and tells the patient who will answer
 * and roughly when. A replay re-asserts the hold and the notice (same message id: delivered once)
 * unless the task was resolved meanwhile.
 */
export async function intake(d: IntakeDeps, a: PatientAction, log: Logger): Promise<void> {
  const settings = await d.tasks.settings(a.organizationId);
  const raised = taskFromAction(a, settings.sla);
  if (raised === null) return;
  // An action from another service (a failed booking) may not know the patient's language.
  const task = a.attributes['language'] === undefined ? { ...raised, language: await preferredLanguage(d.pool, a.organizationId, a.patientId) } : raised;
  const now = d.now();
  const created = await d.tasks.create(task, a.payload, task.priority === 'urgent' ? now : null);
  log.info({ taskId: task.id, priority: task.priority, reason: task.reason, kind: task.kind, created }, 'care-team task raised');
  if (task.kind !== 'handoff') return;
  if (!created && (await d.tasks.get(task.organizationId, task.id)).status === 'resolved') return;
  await d.holds.hold(task.patientId, task.id, task.dueAt);
  const { rows } = await d.pool.query<{ display_name: string; emergency_number: string }>('SELECT display_name, emergency_number FROM organizations WHERE id = $1', [task.organizationId]);
  const org = { name: rows[0]?.display_name ?? '', emergencyNumber: rows[0]?.emergency_number ?? '911' };
  const notice = await outboundFor(d.keyring, task, { messageId: noticeId(`${task.id}:hold`), traceId: a.traceId, kind: 'SYSTEM', templateId: 'inbox_hold', text: holdNotice(task, org, now), at: now });
  await d.publisher.publish('chat.outbound', [{ key: task.patientId, value: notice }]);
}

async function preferredLanguage(pool: PgPool, organizationId: string, patientId: string): Promise<'en' | 'es'> {
  const { rows } = await pool.query<{ preferred_language: string }>('SELECT preferred_language FROM patients WHERE id = $1 AND organization_id = $2', [patientId, organizationId]);
  return rows[0]?.preferred_language === 'es' ? 'es' : 'en';
}
