import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import { CareloopError } from '../../platform/errors.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { toEventRow, type EventRow } from './rows.js';


/**
 * Consumes every data-flow topic and writes one pseudonymous, text-free row per record to
 * ClickHouse, one insert per batch; offsets are committed only after the insert succeeded.
 */
export const analyticsSink: ServiceDefinition = {
  name: 'analytics-sink',
  description: 'every topic to ClickHouse, pseudonymous and without free text',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    const [driver, clickhouse, catalogue, publisher] = await Promise.all([deps.driver(), deps.clickhouse(), deps.catalogue(), deps.publisher()]);
    const table = `${cfg.clickhouse.database}.events`;
    let pending: EventRow[] = [];
    const consumer = await startGroupConsumer(ctx, 'analytics-sink', {
      process: async (value, { topic }) => {
        const row = toEventRow(topic, value);
        if (row !== null) pending.push(row);
      },
      afterBatch: async () => {
        if (pending.length === 0) return;
        const rows = pending;
        pending = [];
        try {
          await clickhouse.insert({ table, values: rows, format: 'JSONEachRow' });
        } catch (err) {
          throw new CareloopError('DEPENDENCY_UNAVAILABLE', `ClickHouse insert failed: ${(err as Error).message}`, { cause: err });
        }
      },
    });
    return {
      name: 'analytics-sink',
      endpoints: [],
      checks: deps.checks(['kafka', 'registry', 'clickhouse']),
      stop: () => consumer.stop(),
    };
  },
};
