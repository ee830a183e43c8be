import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { normalizeError } from '../errors.js';
import type { Logger } from '../log.js';
import { withTransaction, type PgPool } from '../storage/postgres.js';
import { nextPage, nextPageAt, pageBody, signature } from './rules.js';
import { resolveSecretRef } from './secret-ref.js';
import type { TaskStore } from './task-store.js';
import type { InboxSettings, Priority, Task } from './types.js';

export interface PagerMetrics { pages: Counter<'outcome'> }

export function createPagerMetrics(registry: Registry): PagerMetrics {
  return {
    pages: new Counter({ name: 'careloop_inbox_pages_total', help: 'On-call webhooks of urgent care-team tasks, by outcome (delivered, failed, unsigned, exhausted)', labelNames: ['outcome'], registers: [registry] }),
  };
}

export interface PagerDeps {
  pool: PgPool;
  deployment: string;
  tasks: TaskStore;
  metrics: PagerMetrics;
  log: Logger;
  timeoutMs: number;
  /** The clock read when a webhook was answered: the acknowledgement window starts then, not at the round's start. */
  clock?: () => number;
  env?: Readonly<Record<string, string | undefined>>;
}

interface DueRow {
  task_id: string; organization_id: string; contact_index: number; attempts: number;
  patient_id: string; priority: Priority; reason: string; category: string | null; created_at: Date; due_at: Date; status: string;
}

/** One webhook: the signed body to the contact's URL; the HTTP status, 0 when nothing answered. */
async function post(url: string, body: string, sig: string, deliveryId: string, timeoutMs: number): Promise<number> {
  try {
    const res = await fetch(url, {
      method: 'POST', body, signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json', 'x-careloop-signature': sig, 'x-careloop-delivery': deliveryId, 'user-agent': 'careloop-pager' },
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * Pages the on-call contacts of urgent tasks (run by the scheduler): a due page goes to its next
 * contact, signed with the organisation's secret; unacknowledged within the organisation's ack time
 * it goes to the one after. Rows are claimed with SKIP LOCKED, so several schedulers never page the
 * same step twice; a crash mid-send rolls back and the step is sent again (same delivery id).
 */
export class Pager {
  constructor(private readonly d: PagerDeps) {}

  async round(now: number, limit = 20): Promise<number> {
    return withTransaction(this.d.pool, async (tx) => {
      const { rows } = await tx.query<DueRow>(
        `SELECT p.task_id, p.organization_id, p.contact_index, (SELECT count(*)::int FROM inbox.page_deliveries d WHERE d.task_id = p.task_id) AS attempts,
                t.patient_id, t.priority, t.reason, t.category, t.created_at, t.due_at, t.status
           FROM inbox.pages p JOIN inbox.tasks t ON t.id = p.task_id
          WHERE p.deployment = $1 AND p.next_at IS NOT NULL AND p.next_at <= to_timestamp($2 / 1000.0) AND p.state = 'pending'
          ORDER BY p.next_at LIMIT $3 FOR UPDATE OF p SKIP LOCKED`, [this.d.deployment, now, limit]);
      await Promise.all(rows.map(async (r) => {
        // Re-check state: a task resolved or acknowledged since is not paged.
        if (r.status === 'resolved') {
          await tx.query(`UPDATE inbox.pages SET state = 'cancelled', next_at = NULL, updated_at = now() WHERE task_id = $1`, [r.task_id]);
          return;
        }
        const settings = await this.d.tasks.settings(r.organization_id);
        await this.step(tx, r, settings, now);
      }));
      return rows.length;
    });
  }

  private async step(tx: pg.PoolClient, r: DueRow, settings: InboxSettings, now: number): Promise<void> {
    const next = nextPage({ contactIndex: r.contact_index, attempts: r.attempts }, settings);
    if (next.kind === 'exhausted') {
      await tx.query(`UPDATE inbox.pages SET state = 'exhausted', next_at = NULL, updated_at = now() WHERE task_id = $1`, [r.task_id]);
      this.d.metrics.pages.inc({ outcome: 'exhausted' });
      this.d.log.error({ organizationId: r.organization_id, taskId: r.task_id }, 'urgent task: every on-call contact was paged and none acknowledged');
      return;
    }
    const task: Pick<Task, 'id' | 'organizationId' | 'patientId' | 'priority' | 'reason' | 'category' | 'createdAt' | 'dueAt'> = {
      id: r.task_id, organizationId: r.organization_id, patientId: r.patient_id, priority: r.priority, reason: r.reason, category: r.category,
      createdAt: r.created_at.getTime(), dueAt: r.due_at.getTime(),
    };
    const body = JSON.stringify(pageBody(task, next.contact, next.attempt, now));
    let status = 0;
    let errorCode: string | null = null;
    try {
      const secret = resolveSecretRef(settings.webhookSecretRef, this.d.env);
      status = await post(next.contact.url, body, signature(body, secret), `${task.id}:${next.attempt}`, this.d.timeoutMs);
      if (status < 200 || status > 299) errorCode = status === 0 ? 'no_answer' : 'http_status';
    } catch (err) {
      // Never sent unsigned: a missing secret counts as a failed page and the next contact is tried.
      errorCode = 'unsigned';
      this.d.log.error({ organizationId: r.organization_id, code: normalizeError(err).code }, 'on-call webhook secret unavailable; page not sent');
    }
    const delivered = errorCode === null;
    const answeredAt = Math.max(now, (this.d.clock ?? Date.now)());
    this.d.metrics.pages.inc({ outcome: delivered ? 'delivered' : errorCode === 'unsigned' ? 'unsigned' : 'failed' });
    await tx.query(`INSERT INTO inbox.page_deliveries (task_id, attempt, contact_id, sent_at, http_status, error_code) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), $5, $6) ON CONFLICT DO NOTHING`,
      [task.id, next.attempt, next.contact.id, now, status, errorCode]);
    await tx.query(`UPDATE inbox.pages SET contact_index = $2, next_at = to_timestamp($3 / 1000.0), updated_at = now() WHERE task_id = $1`,
      [task.id, next.nextIndex, nextPageAt(delivered, answeredAt, settings)]);
    if (!delivered) this.d.log.warn({ organizationId: r.organization_id, taskId: task.id, contactId: next.contact.id, status, code: errorCode }, 'on-call page failed; paging the next contact');
  }
}
