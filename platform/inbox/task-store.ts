import type { Sealed } from '../crypto/envelope.js';
import { CareloopError } from '../errors.js';
import { withTransaction, type PgPool } from '../storage/postgres.js';
import { compileSla } from './rules.js';
import { PRIORITIES, type InboxSettings, type NewTask, type OnCallContact, type Priority, type Sla, type Task, type TaskKind, type TaskOutcome, type TaskStatus } from './types.js';

/** The inbox's built-in settings (configuration), which an organisation's row overrides. */
export interface InboxDefaults { sla: Sla; ackTimeoutMs: number }

export interface TaskFilter {
  status?: TaskStatus | 'unresolved';
  priority?: Priority;
  kind?: TaskKind;
  patientId?: string;
  overdue?: boolean;
  limit: number;
  /** The `next` of the previous page. */
  after?: string;
}

interface TaskRow {
  id: string; organization_id: string; patient_id: string; kind: TaskKind; priority: Priority; reason: string; category: string | null;
  status: TaskStatus; channel: 'WEB' | 'SMS'; language: 'en' | 'es'; source_action_id: string; caused_by: string | null;
  created_at: Date; due_at: Date; claimed_by: string | null; claimed_at: Date | null; acknowledged_by: string | null; acknowledged_at: Date | null;
  replies: number; last_reply_at: Date | null; resolved_by: string | null; resolved_at: Date | null; outcome: TaskOutcome | null; has_message: boolean;
}

const COLUMNS = `id, organization_id, patient_id, kind, priority, reason, category, status, channel, language, source_action_id, caused_by,
  created_at, due_at, claimed_by, claimed_at, acknowledged_by, acknowledged_at, replies, last_reply_at, resolved_by, resolved_at, outcome,
  message_ct IS NOT NULL AS has_message`;

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

function taskOf(r: TaskRow): Task {
  return {
    id: r.id, organizationId: r.organization_id, patientId: r.patient_id, kind: r.kind, priority: r.priority, reason: r.reason, category: r.category,
    status: r.status, channel: r.channel, language: r.language, sourceActionId: r.source_action_id, causedBy: r.caused_by,
    createdAt: r.created_at.getTime(), dueAt: r.due_at.getTime(), claimedBy: r.claimed_by, claimedAt: ms(r.claimed_at),
    acknowledgedBy: r.acknowledged_by, acknowledgedAt: ms(r.acknowledged_at), replies: r.replies, lastReplyAt: ms(r.last_reply_at),
    resolvedBy: r.resolved_by, resolvedAt: ms(r.resolved_at), outcome: r.outcome, hasMessage: r.has_message,
  };
}

function contactsOf(raw: unknown): OnCallContact[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((c): OnCallContact[] => (c !== null && typeof c === 'object' && typeof (c as OnCallContact).id === 'string' && typeof (c as OnCallContact).url === 'string' ? [{ id: (c as OnCallContact).id, url: (c as OnCallContact).url }] : []));
}

/**
 * Tasks of the care-team inbox in PostgreSQL (schema `inbox`), per deployment (the topic prefix).
 * Every state change is one conditional UPDATE, so two staff members claiming at once cannot both win.
 */
export class TaskStore {
  constructor(private readonly pool: PgPool, private readonly deployment: string, private readonly defaults: InboxDefaults) {}

  /** Erasure: the patient's words kept with their tasks go; the tasks (codes, outcomes) stay for the record. */
  async forgetPatientWords(patientId: string): Promise<void> {
    await this.pool.query('UPDATE inbox.tasks SET message_key_id = NULL, message_nonce = NULL, message_ct = NULL WHERE patient_id = $1', [patientId]);
  }

  async settings(organizationId: string): Promise<InboxSettings> {
    const { rows } = await this.pool.query<{ sla: unknown; oncall_contacts: unknown; webhook_secret_ref: string; ack_timeout_ms: number | null }>(
      'SELECT sla, oncall_contacts, webhook_secret_ref, ack_timeout_ms FROM inbox.settings WHERE organization_id = $1', [organizationId]);
    const r = rows[0];
    return {
      sla: compileSla(this.defaults.sla, r?.sla ?? {}), contacts: contactsOf(r?.oncall_contacts ?? []),
      webhookSecretRef: r?.webhook_secret_ref ?? '', ackTimeoutMs: r?.ack_timeout_ms ?? this.defaults.ackTimeoutMs,
    };
  }

  async putSettings(organizationId: string, s: { sla: Partial<Record<Priority, number>>; contacts: readonly OnCallContact[]; webhookSecretRef: string; ackTimeoutMs: number | null }): Promise<void> {
    await this.pool.query(
      `INSERT INTO inbox.settings (organization_id, sla, oncall_contacts, webhook_secret_ref, ack_timeout_ms, updated_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (organization_id) DO UPDATE SET sla = EXCLUDED.sla, oncall_contacts = EXCLUDED.oncall_contacts,
         webhook_secret_ref = EXCLUDED.webhook_secret_ref, ack_timeout_ms = EXCLUDED.ack_timeout_ms, updated_at = now()`,
      [organizationId, JSON.stringify(s.sla), JSON.stringify(s.contacts), s.webhookSecretRef, s.ackTimeoutMs]);
  }

  /** Creates the task once (by its action): false when it already existed. An urgent task's paging starts at `pageAt`. */
  async create(t: NewTask, message: Sealed | null, pageAt: number | null): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      const { rowCount } = await tx.query(
        `INSERT INTO inbox.tasks (id, deployment, organization_id, patient_id, kind, priority, reason, category, channel, language, source_action_id, caused_by,
           message_key_id, message_nonce, message_ct, created_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_timestamp($16 / 1000.0), to_timestamp($17 / 1000.0))
         ON CONFLICT DO NOTHING`,
        [t.id, this.deployment, t.organizationId, t.patientId, t.kind, t.priority, t.reason, t.category, t.channel, t.language, t.sourceActionId, t.causedBy,
          message?.keyId ?? null, message?.nonce ?? null, message?.ciphertext ?? null, t.createdAt, t.dueAt]);
      if (rowCount === 0) return false;
      if (pageAt !== null) {
        await tx.query(`INSERT INTO inbox.pages (task_id, deployment, organization_id, next_at) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0))`,
          [t.id, this.deployment, t.organizationId, pageAt]);
      }
      return true;
    });
  }

  async get(organizationId: string, id: string): Promise<Task> {
    const { rows } = await this.pool.query<TaskRow>(`SELECT ${COLUMNS} FROM inbox.tasks WHERE id = $1 AND organization_id = $2 AND deployment = $3`, [id, organizationId, this.deployment]);
    if (rows[0] === undefined) throw new CareloopError('NOT_FOUND', 'task not found');
    return taskOf(rows[0]);
  }

  /** The patient's words that raised the task, sealed; null when it was raised by a signal. */
  async message(organizationId: string, id: string): Promise<Sealed | null> {
    const { rows } = await this.pool.query<{ message_key_id: string | null; message_nonce: Buffer | null; message_ct: Buffer | null }>(
      'SELECT message_key_id, message_nonce, message_ct FROM inbox.tasks WHERE id = $1 AND organization_id = $2 AND deployment = $3', [id, organizationId, this.deployment]);
    const r = rows[0];
    if (r?.message_key_id == null || r.message_nonce === null || r.message_ct === null) return null;
    return { keyId: r.message_key_id, nonce: r.message_nonce, ciphertext: r.message_ct };
  }

  /** Most urgent first, then the earliest due; paged by id within that order through `after`. */
  async list(organizationId: string, f: TaskFilter, now: number): Promise<{ tasks: Task[]; next: string | null }> {
    const where = ['organization_id = $1', 'deployment = $2'];
    const args: unknown[] = [organizationId, this.deployment];
    const add = (sql: string, v: unknown): void => { args.push(v); where.push(sql.replace('?', `$${args.length}`)); };
    if (f.status === 'unresolved') where.push(`status <> 'resolved'`);
    else if (f.status !== undefined) add('status = ?', f.status);
    if (f.priority !== undefined) add('priority = ?', f.priority);
    if (f.kind !== undefined) add('kind = ?', f.kind);
    if (f.patientId !== undefined) add('patient_id = ?', f.patientId);
    if (f.overdue === true) { add('due_at < to_timestamp(? / 1000.0)', now); where.push(`status <> 'resolved'`); }
    const rank = `array_position(ARRAY[${PRIORITIES.map((p) => `'${p}'`).join(',')}]::text[], priority)`;
    if (f.after !== undefined) add(`(${rank}, due_at, id) > (SELECT ${rank}, due_at, id FROM inbox.tasks WHERE id = ?)`, f.after);
    args.push(f.limit);
    const { rows } = await this.pool.query<TaskRow>(`SELECT ${COLUMNS} FROM inbox.tasks WHERE ${where.join(' AND ')} ORDER BY ${rank}, due_at, id LIMIT $${args.length}`, args);
    const tasks = rows.map(taskOf);
    return { tasks, next: tasks.length === f.limit ? (tasks[tasks.length - 1]?.id ?? null) : null };
  }

  /** Claims an open task (or confirms the caller's own claim); acknowledges its page too. */
  async claim(organizationId: string, id: string, staffId: string, now: number): Promise<Task> {
    const { rowCount } = await this.pool.query(
      `UPDATE inbox.tasks SET status = 'claimed', claimed_by = $4, claimed_at = to_timestamp($5 / 1000.0),
         acknowledged_by = COALESCE(acknowledged_by, $4), acknowledged_at = COALESCE(acknowledged_at, to_timestamp($5 / 1000.0))
       WHERE id = $1 AND organization_id = $2 AND deployment = $3 AND (status = 'open' OR (status = 'claimed' AND claimed_by = $4))`,
      [id, organizationId, this.deployment, staffId, now]);
    const task = await this.get(organizationId, id);
    if (rowCount === 0) throw new CareloopError('CONFLICT', task.status === 'resolved' ? 'the task is resolved' : 'the task is claimed by someone else', { details: { status: task.status } });
    await this.stopPaging(id, 'acknowledged');
    return task;
  }

  /** The on-call contact's acknowledgement: paging stops; the task stays open for whoever claims it. */
  async acknowledge(organizationId: string, id: string, staffId: string, now: number): Promise<Task> {
    await this.pool.query(
      `UPDATE inbox.tasks SET acknowledged_by = COALESCE(acknowledged_by, $4), acknowledged_at = COALESCE(acknowledged_at, to_timestamp($5 / 1000.0))
       WHERE id = $1 AND organization_id = $2 AND deployment = $3`, [id, organizationId, this.deployment, staffId, now]);
    const task = await this.get(organizationId, id);
    await this.stopPaging(id, 'acknowledged');
    return task;
  }

  async recordReply(organizationId: string, id: string, now: number): Promise<number> {
    const { rows } = await this.pool.query<{ replies: number }>(
      `UPDATE inbox.tasks SET replies = replies + 1, last_reply_at = to_timestamp($4 / 1000.0) WHERE id = $1 AND organization_id = $2 AND deployment = $3 RETURNING replies`,
      [id, organizationId, this.deployment, now]);
    return rows[0]?.replies ?? 0;
  }

  async resolve(organizationId: string, id: string, staffId: string, outcome: TaskOutcome, now: number): Promise<Task> {
    const { rowCount } = await this.pool.query(
      `UPDATE inbox.tasks SET status = 'resolved', resolved_by = $4, resolved_at = to_timestamp($5 / 1000.0), outcome = $6
       WHERE id = $1 AND organization_id = $2 AND deployment = $3 AND status <> 'resolved'`, [id, organizationId, this.deployment, staffId, now, outcome]);
    const task = await this.get(organizationId, id);
    if (rowCount === 0) throw new CareloopError('CONFLICT', 'the task is already resolved', { details: { status: task.status } });
    await this.stopPaging(id, 'cancelled');
    return task;
  }

  /** Unresolved tasks past their due time, by priority: what the overdue metric reports. */
  async overdueCounts(now: number): Promise<Record<Priority, number>> {
    const { rows } = await this.pool.query<{ priority: Priority; n: string }>(
      `SELECT priority, count(*) AS n FROM inbox.tasks WHERE deployment = $1 AND status <> 'resolved' AND due_at < to_timestamp($2 / 1000.0) GROUP BY priority`, [this.deployment, now]);
    const out = Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<Priority, number>;
    for (const r of rows) out[r.priority] = Number(r.n);
    return out;
  }

  private async stopPaging(taskId: string, state: 'acknowledged' | 'cancelled'): Promise<void> {
    await this.pool.query(`UPDATE inbox.pages SET state = $2, next_at = NULL, updated_at = now() WHERE task_id = $1 AND state = 'pending'`, [taskId, state]);
  }
}
