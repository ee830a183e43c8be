import type { ClickHouseClient } from '../../platform/storage/clickhouse.js';

/** Tables whose rows name a patient: old months of these are dropped. The daily counts are kept. */
export const RETAINED_TABLES = ['events'] as const;

/** The oldest month (YYYYMM) still kept when `months` whole months before `now`'s are retained. */
export function oldestKeptMonth(now: Date, months: number): number {
  const index = now.getUTCFullYear() * 12 + now.getUTCMonth() - months;
  return Math.floor(index / 12) * 100 + (index % 12) + 1;
}

export interface RetentionReport {
  /** `table partition` of every partition dropped. */
  dropped: string[];
  oldestKept: number;
}

/**
 * Drops whole monthly partitions older than the retention (ClickHouse 18.16 has no TTL). A partition
 * drop is a metadata operation and idempotent, so every sink instance may run it.
 */
export async function dropExpiredPartitions(ch: ClickHouseClient, database: string, months: number, now: Date): Promise<RetentionReport> {
  const oldestKept = oldestKeptMonth(now, months);
  const rs = await ch.query({
    query: `SELECT DISTINCT table, partition FROM system.parts WHERE database = '${database}' AND active AND table IN (${RETAINED_TABLES.map((t) => `'${t}'`).join(', ')})`,
    format: 'JSONEachRow',
  });
  const dropped: string[] = [];
  for (const { table, partition } of await rs.json<{ table: string; partition: string }>()) {
    // Partitions are toYYYYMM(event_date); anything else is not ours to drop.
    if (!/^\d{6}$/.test(partition) || Number(partition) >= oldestKept) continue;
    await ch.command({ query: `ALTER TABLE ${database}.${table} DROP PARTITION ${partition}` });
    dropped.push(`${table} ${partition}`);
  }
  return { dropped, oldestKept };
}
