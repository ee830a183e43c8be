import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import { CareloopError, normalizeError } from '../../platform/errors.js';
import { assertIdentifier } from '../../platform/storage/clickhouse.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { Readable } from 'node:stream';
import { everyRound } from '../../platform/service/periodic.js';
import { refreshDashboards } from './dashboards.js';
import { AnalyticsDecoder } from './decoder.js';
import { InsertBuffer } from './insert-buffer.js';
import { dropExpiredPartitions } from './retention.js';
import { EVENT_COLUMNS, toEventRow, tsvLine } from './rows.js';

// A poll's batches (one per partition) land in one insert; a full buffer is written at once.
const LINGER_MS = 250;
const MAX_ROWS = 100_000;
const MAX_BATCH = 50_000;
const RETENTION_EVERY_MS = 3_600_000;
// Dashboards read rollups at most this far behind the events (docs/analytics.md).
const DASHBOARD_REFRESH_MS = 30_000;

/**
 * Consumes every data-flow topic and writes one pseudonymous, text-free row per record to
 * ClickHouse in inserts of up to a poll's worth of rows; offsets are committed only after the
 * insert holding their rows succeeded.
 */
export const analyticsSink: ServiceDefinition = {
  name: 'analytics-sink',
  description: 'every topic to ClickHouse, pseudonymous and without free text',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    const clickhouse = await deps.clickhouse();
    const table = `${cfg.clickhouse.database}.events`;
    // Rows travel as TabSeparated lines built straight from the decoded fields: no JSON per row.
    const buffer = new InsertBuffer<string>(async (lines) => {
      try {
        await clickhouse.insert({ table, values: Readable.from([lines.join('')], { objectMode: false }), format: 'TabSeparated', columns: [...EVENT_COLUMNS] });
      } catch (err) {
        throw new CareloopError('DEPENDENCY_UNAVAILABLE', `ClickHouse insert failed: ${(err as Error).message}`, { cause: err });
      }
    }, LINGER_MS, MAX_ROWS);
    const decoder = new AnalyticsDecoder(async (id) => (await deps.catalogue()).writerType(id));
    const consumer = await startGroupConsumer(ctx, 'analytics-sink', {
      process: () => Promise.resolve(), // whole batches go to processBatch
      // A batch is one partition's run: decoded synchronously (schemas looked up once), poison
      // records dead-lettered with their code, the rest appended to the shared insert.
      processBatch: async (records, batch) => {
        await decoder.prepare(records.map((r) => r.value));
        let rows = 0;
        let dead = 0;
        const topic = records.length === 0 ? '' : batch.topicOf(records[0] as (typeof records)[number]);
        for (const record of records) {
          let line: string | null;
          try {
            const row = toEventRow(topic, decoder.decode(record.value));
            line = row === null ? null : tsvLine(row);
          } catch (err) {
            const e = normalizeError(err);
            await batch.deadLetter(record, e.code === 'INTERNAL' ? new CareloopError('RECORD_INVALID', `record does not map to an analytics row: ${e.message}`, { cause: err }) : e);
            dead++;
            continue;
          }
          if (line !== null) buffer.add(line);
          rows++;
        }
        if (rows > 0) ctx.metrics.recordsProcessed.inc({ group: 'analytics-sink', topic, outcome: 'ok' }, rows);
        if (dead > 0) ctx.log.warn({ topic, dead }, 'analytics records dead-lettered');
      },
      afterBatch: () => buffer.flush(),
      maxBatchSize: MAX_BATCH,
    });
    const retention = async (): Promise<void> => {
      if (cfg.clickhouse.retentionMonths === 0) return;
      try {
        const report = await dropExpiredPartitions(clickhouse, assertIdentifier(cfg.clickhouse.database), cfg.clickhouse.retentionMonths, new Date(ctx.now()));
        if (report.dropped.length > 0) ctx.log.info({ dropped: report.dropped, oldestKept: report.oldestKept }, 'analytics retention dropped old months');
        ctx.metrics.taskLastSuccess.set({ task: 'analytics_retention' }, ctx.now() / 1000);
      } catch (err) {
        ctx.metrics.taskFailures.inc({ task: 'analytics_retention' });
        ctx.log.warn({ code: normalizeError(err).code }, 'analytics retention failed; retrying in an hour');
      }
    };
    void retention();
    const retentionTimer = setInterval(() => { void retention(); }, RETENTION_EVERY_MS);
    retentionTimer.unref();
    const db = assertIdentifier(cfg.clickhouse.database);
    const refreshTimer = everyRound(DASHBOARD_REFRESH_MS, async () => {
      const report = await refreshDashboards(clickhouse, db, ctx.now());
      if (report.days > 0) ctx.log.info(report, 'dashboard rollups refreshed');
      ctx.metrics.taskLastSuccess.set({ task: 'analytics_dashboards' }, ctx.now() / 1000);
    }, (err) => {
      ctx.metrics.taskFailures.inc({ task: 'analytics_dashboards' });
      ctx.log.warn({ code: err.code }, 'dashboard refresh failed; retrying next round');
    });
    refreshTimer.unref();
    return {
      name: 'analytics-sink',
      endpoints: [],
      checks: deps.checks(['kafka', 'registry', 'clickhouse']),
      stop: () => { clearInterval(retentionTimer); clearInterval(refreshTimer); return consumer.stop(); },
    };
  },
};
