import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics, GROUPS } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { createClickHouse, migrateClickHouse } from '../../platform/storage/clickhouse.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { analyticsSink } from './main.js';

const group = GROUPS.find((g) => g.id === 'analytics-sink');
const database = uniqueId('careloop_test_');
const cfg = testConfig({ 'clickhouse.database': database });
const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

test('the analytics sink writes one pseudonymous, text-free row per record to ClickHouse', async () => {
  const topics = allTopics().filter((t) => (group?.topics as readonly string[]).includes(t.name) || t.name === 'dlq.analytics-sink');
  cleanups.push(await createTestTopics(cfg, topics));
  await migrateClickHouse(cfg.clickhouse, join(repoRoot(), 'platform/storage/migrations/clickhouse'));
  const admin = createClickHouse(cfg.clickhouse, null);
  cleanups.push(async () => { await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await admin.close(); });

  const deps = new Dependencies(cfg, silentLogger);
  cleanups.push(() => deps.close());
  const service = await analyticsSink.start({ cfg, log: silentLogger, metrics: createMetrics(false), deps, now: Date.now });
  cleanups.push(() => service.stop());

  const publisher = await deps.publisher();
  const enc = (s: string) => ({ keyId: 'k', nonce: Buffer.alloc(12), ciphertext: Buffer.from(s) });
  const patientId = uniqueId('p');
  const ids = { traceId: randomUUID(), organizationId: 'org-sink', patientId };
  const inboundId = randomUUID();
  await publisher.publish('chat.inbound', [{ key: patientId, value: { ...ids, messageId: inboundId, channel: 'WEB', clientMessageId: 'c1', receivedAt: Date.now(), locale: 'en', text: enc('CANARY-inbound-text') } }]);
  await publisher.publish('patient.actions', [{ key: patientId, value: { ...ids, actionId: randomUUID(), type: 'record_adherence', occurredAt: Date.now(), causedBy: inboundId, workflowId: 'default', workflowVersion: 1, attributes: { taken: 'true' }, payload: enc('CANARY-payload') } }]);
  // Delivered twice (at least once): the duplicate collapses under FINAL.
  await publisher.publish('chat.inbound', [{ key: patientId, value: { ...ids, messageId: inboundId, channel: 'WEB', clientMessageId: 'c1', receivedAt: Date.now(), locale: 'en', text: enc('CANARY-inbound-text') } }]);

  const client = createClickHouse(cfg.clickhouse);
  cleanups.push(() => client.close());
  const rows = await eventually(async () => {
    const rs = await client.query({ query: `SELECT * FROM ${database}.events FINAL WHERE patient_id = '${patientId}' ORDER BY topic`, format: 'JSONEachRow' });
    const got = await rs.json<Record<string, unknown>>();
    return got.length >= 2 ? got : undefined;
  }, 60_000, 'rows in ClickHouse');
  assert.deepEqual(rows.map((r) => r['event_type']), ['message_received', 'action.record_adherence']);
  assert.equal(rows[1]?.['workflow_id'], 'default');
  assert.ok(!JSON.stringify(rows).includes('CANARY'), 'no text or payload reached ClickHouse');

  // Poison records: bytes that are not Avro, and a frame naming a schema id the registry never
  // issued, go to the dead-letter topic with their code; the records around them are written.
  const producer = await (await deps.driver()).producer();
  cleanups.push(() => producer.disconnect());
  const unknownId = Buffer.alloc(20, 7);
  unknownId[0] = 0;
  unknownId.writeInt32BE(2_000_000_000, 1);
  await producer.send(`${cfg.kafka.topicPrefix}chat.inbound`, [{ key: patientId, value: Buffer.from('not avro at all') }, { key: patientId, value: unknownId }]);
  const afterId = randomUUID();
  await publisher.publish('chat.inbound', [{ key: patientId, value: { ...ids, messageId: afterId, channel: 'SMS', clientMessageId: null, receivedAt: Date.now(), locale: null, text: enc('CANARY-after') } }]);
  await eventually(async () => {
    const rs = await client.query({ query: `SELECT count() AS n FROM ${database}.events WHERE record_id = '${afterId}'`, format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]?.n) === 1 ? true : undefined;
  }, 60_000, 'the record after the poison ones');
  const catalogue = await deps.catalogue();
  const dead = await eventually(async () => {
    const got = await readTopicToEnd({ brokers: cfg.kafka.brokers, ssl: cfg.kafka.ssl }, `${cfg.kafka.topicPrefix}dlq.analytics-sink`, 10_000);
    return got.length >= 2 ? got : undefined;
  }, 30_000, 'two dead letters');
  const letters = await Promise.all(dead.map(async (d) => catalogue.decode<{ errorCode: string; reason: string }>(d.value)));
  assert.deepEqual(letters.map((l) => l.errorCode), ['RECORD_UNDECODABLE', 'RECORD_UNDECODABLE']);
  assert.match(letters[1]?.reason ?? '', /schema id 2000000000/);
  assert.deepEqual(service.checks.map((c) => c.name), ['kafka', 'registry', 'clickhouse']);
  for (const c of service.checks) await c.check();
});
