import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics, GROUPS } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { createClickHouse, migrateClickHouse } from '../../platform/storage/clickhouse.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { analyticsSink } from './main.js';
import { population } from './population.js';

/**
 * ClickHouse "goes away" for this sink only: the sink reaches it through a TCP relay of the test's
 * own that refuses connections while down. Other users of the shared server are not disturbed.
 */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly target: URL, public port = 0) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); s.on('error', () => undefined); }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const direct = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const relay = new Relay(new URL(direct.clickhouse.url));
const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

test('the sink pauses while ClickHouse is unreachable and catches up without losing or doubling a row', async () => {
  await relay.up();
  cleanups.push(() => relay.down());
  const cfg = testConfig({ 'clickhouse.database': direct.clickhouse.database, 'clickhouse.url': `http://127.0.0.1:${relay.port}`, 'kafka.topicPrefix': direct.kafka.topicPrefix, 'consumer.maxRetries': '1', 'consumer.retryBackoff': '50ms' });
  const database = cfg.clickhouse.database;
  const group = GROUPS.find((g) => g.id === 'analytics-sink');
  const topics = allTopics().filter((t) => (group?.topics as readonly string[]).includes(t.name) || t.name === 'dlq.analytics-sink');
  cleanups.push(await createTestTopics(cfg, topics));
  await migrateClickHouse(direct.clickhouse, join(repoRoot(), 'platform/storage/migrations/clickhouse'));
  const client = createClickHouse(direct.clickhouse);
  cleanups.push(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await client.close(); });

  await relay.down();
  const deps = new Dependencies(cfg, silentLogger);
  cleanups.push(() => deps.close());
  const service = await analyticsSink.start({ cfg, log: silentLogger, metrics: createMetrics(false), deps, now: Date.now });
  cleanups.push(() => service.stop());
  const publisher = await deps.publisher();
  const start = Date.UTC(2026, 10, 2);
  const publish = async (organizationId: string): Promise<number> => {
    const records = population({ organizationId, patients: 12, days: 5, start });
    for (const r of records) {
      const v = r.value as { patientId: string };
      await publisher.publish(r.topic as any, [{ key: v.patientId, value: r.value as any }]);
    }
    return records.length;
  };
  const count = async (): Promise<{ rows: number; ids: number; doses: number }> => {
    const rs = await client.query({ query: `SELECT toUInt64(count()) AS rows, uniqExact(topic, record_id) AS ids, (SELECT toUInt64(count()) FROM ${database}.dose_outcomes FINAL) AS doses FROM ${database}.events FINAL`, format: 'JSONEachRow' });
    const [r] = await rs.json<{ rows: string; ids: string; doses: string }>();
    return { rows: Number(r?.rows), ids: Number(r?.ids), doses: Number(r?.doses) };
  };
  const settle = () => new Promise((r) => setTimeout(r, 4000));

  // Down from the start: records wait in Kafka, the health check says so.
  const first = await publish('org_outage_a');
  await settle();
  assert.equal((await count()).rows, 0, 'nothing written while ClickHouse is unreachable');
  const check = service.checks.find((c) => c.name === 'clickhouse');
  await assert.rejects(async () => { await check?.check(); }, 'the health check reports ClickHouse down');
  await relay.up();
  await eventually(async () => ((await count()).rows === first ? true : undefined), 60_000, 'the first records after ClickHouse came back');

  // Down in the middle of the stream: the second lot waits and then arrives, once each.
  await relay.down();
  const second = await publish('org_outage_b');
  await settle();
  assert.equal((await count()).rows, first, 'the second lot waits');
  await relay.up();
  const final = await eventually(async () => { const c = await count(); return c.rows >= first + second ? c : undefined; }, 60_000, 'every record after the second outage');
  assert.equal(final.rows, first + second);
  assert.equal(final.ids, first + second, 'no record twice');
  assert.ok(final.doses > 0);
  const raw = await client.query({ query: `SELECT toUInt64(count()) AS n FROM ${database}.events`, format: 'JSONEachRow' });
  assert.ok(Number((await raw.json<{ n: string }>())[0]?.n) >= first + second, 'duplicates a retry may write collapse under FINAL');
  const dead = await readTopicToEnd({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl }, `${cfg.kafka.topicPrefix}dlq.analytics-sink`, 10_000);
  assert.equal(dead.length, 0, 'an outage dead-letters nothing');
});
