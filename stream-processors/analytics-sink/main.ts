import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import { CareloopError, normalizeError } from '../../platform/errors.js';
import { assertIdentifier } from '../../platform/storage/clickhouse.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { InsertBuffer } from './insert-buffer.js';
import { dropExpiredPartitions } from './retention.js';
import { toEventRow, type EventRow } from './rows.js';

// A poll's batches (one per partition) land in one insert; a full buffer is written at once.
const LINGER_MS = 250;
const MAX_ROWS = 50_000;
const MAX_BATCH = 20_000;
const RETENTION_EVERY_MS = 3_600_000;

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
    const buffer = new InsertBuffer<EventRow>(async (rows) => {
      try {
        await clickhouse.insert({ table, values: rows, format: 'JSONEachRow' });
      } catch (err) {
        throw new CareloopError('DEPENDENCY_UNAVAILABLE', `ClickHouse insert failed: ${(err as Error).message}`, { cause: err });
      }
    }, LINGER_MS, MAX_ROWS);
    const consumer = await startGroupConsumer(ctx, 'analytics-sink', {
      process: async (value, { topic }) => {
        const row = toEventRow(topic, value);
        if (row !== null) buffer.add(row);
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
    return {
      name: 'analytics-sink',
      endpoints: [],
      checks: deps.checks(['kafka', 'registry', 'clickhouse']),
      stop: () => { clearInterval(retentionTimer); return consumer.stop(); },
    };
  },
};
