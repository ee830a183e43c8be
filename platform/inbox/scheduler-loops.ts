import { everyRound } from '../service/periodic.js';
import { Gauge } from 'prom-client';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../service/metrics.js';
import type { PgPool } from '../storage/postgres.js';
import { createPagerMetrics, Pager } from './pager.js';
import { TaskStore } from './task-store.js';
import { PRIORITIES } from './types.js';
import { inboxDefaults } from './wiring.js';

export interface InboxLoopDeps {
  cfg: Pick<Config, 'inbox' | 'kafka'>;
  pool: PgPool;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Runs `round` every `every` ms, skipping a tick while the last one runs; failures are counted and retried next tick. */
function loop(d: InboxLoopDeps, task: string, every: number, round: () => Promise<unknown>): NodeJS.Timeout {
  return everyRound(every, async () => {
    await round();
    d.metrics.taskLastSuccess.set({ task }, d.now() / 1000);
  }, (err) => {
    d.metrics.taskFailures.inc({ task });
    d.log.warn({ code: err.code, task }, 'care-team inbox round failed; retrying next round');
  }, true);
}

/**
 * The inbox's timers, run by the scheduler: on-call pages (every inbox.pollInterval) and the count
 * of overdue tasks by priority (`careloop_inbox_tasks_overdue`, what operators alert on).
 */
export function startInboxLoops(d: InboxLoopDeps): () => void {
  const deployment = d.cfg.kafka.topicPrefix;
  const tasks = new TaskStore(d.pool, deployment, inboxDefaults(d.cfg));
  const pager = new Pager({ pool: d.pool, deployment, tasks, metrics: createPagerMetrics(d.metrics.registry), log: d.log, timeoutMs: d.cfg.inbox.webhookTimeout, clock: d.now, ...(d.env ? { env: d.env } : {}) });
  const overdue = new Gauge({ name: 'careloop_inbox_tasks_overdue', help: 'Unresolved care-team tasks past their due time (SLA), by priority', labelNames: ['priority'], registers: [d.metrics.registry] });
  for (const p of PRIORITIES) overdue.set({ priority: p }, 0);
  const timers = [
    // A round pages at most 20 tasks; a backlog is drained on the following ticks.
    loop(d, 'inbox_paging', d.cfg.inbox.pollInterval, () => pager.round(d.now())),
    loop(d, 'inbox_overdue', d.cfg.inbox.overdueInterval, async () => {
      const counts = await tasks.overdueCounts(d.now());
      for (const p of PRIORITIES) overdue.set({ priority: p }, counts[p]);
    }),
  ];
  return () => { for (const t of timers) clearInterval(t); };
}
