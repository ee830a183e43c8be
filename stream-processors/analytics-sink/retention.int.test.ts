import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../../platform/paths.js';
import { createClickHouse, migrateClickHouse } from '../../platform/storage/clickhouse.js';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { dropExpiredPartitions } from './retention.js';

const database = uniqueId('careloop_test_');
const cfg = testConfig({ 'clickhouse.database': database });
const admin = createClickHouse(cfg.clickhouse, null);
after(async () => { await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await admin.close(); });

test('retention drops whole months of events older than the setting and keeps the rest and the daily counts', async () => {
  await migrateClickHouse(cfg.clickhouse, join(repoRoot(), 'platform/storage/migrations/clickhouse'));
  const row = (date: string, id: string) => ({
    event_date: date, event_time: `${date} 12:00:00`, organization_id: 'org-ret', patient_id: 'pt_x', topic: 'chat.inbound', event_type: 'message_received',
    channel: 'WEB', record_id: id, workflow_id: '', workflow_version: 0, score: 0, attr_keys: [], attr_values: [],
  });
  await admin.insert({ table: `${database}.events`, format: 'JSONEachRow',
    values: [row('2024-09-30', 'a'), row('2024-10-01', 'b'), row('2024-10-31', 'c'), row('2024-11-15', 'd'), row('2026-11-24', 'e')] });
  const months = async (table: string) => {
    const rs = await admin.query({ query: `SELECT toYYYYMM(event_date) AS m, toUInt64(${table === 'events' ? 'count()' : 'sum(events)'}) AS n FROM ${database}.${table} GROUP BY m ORDER BY m`, format: 'JSONEachRow' });
    return (await rs.json<{ m: number; n: string }>()).map((r) => `${r.m}:${r.n}`);
  };
  assert.deepEqual(await months('events'), ['202409:1', '202410:2', '202411:1', '202611:1']);

  // 25 months kept on 24 November 2026: October 2024 onwards.
  const now = new Date('2026-11-24T10:00:00Z');
  const report = await dropExpiredPartitions(admin, database, 25, now);
  assert.deepEqual(report, { dropped: ['events 202409'], oldestKept: 202410 });
  assert.deepEqual(await months('events'), ['202410:2', '202411:1', '202611:1']);
  assert.deepEqual(await months('events_daily'), ['202409:1', '202410:2', '202411:1', '202611:1'], 'the daily counts (no patient ids) stay');
  assert.deepEqual((await dropExpiredPartitions(admin, database, 25, now)).dropped, [], 'a second run finds nothing to drop');
});
