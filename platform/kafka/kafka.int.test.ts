import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { InboundMessage, DeadLetter } from '../../schemas/generated/avro-types.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { SchemaCatalogue } from '../avro/catalogue.js';
import { CareloopError } from '../errors.js';
import { repoRoot } from '../paths.js';
import { createMetrics } from '../service/metrics.js';
import { startConsumerLoop } from './consumer-loop.js';
import { createKafkaDriver } from './driver.js';
import { Publisher } from './publisher.js';
import { deadLetterTopicName, type TopicSpec } from './topics.js';
import type { DriverName, IncomingRecord } from './types.js';

function inbound(patientId: string, seq: number, clientMessageId = `c-${seq}`): InboundMessage {
  return {
    messageId: randomUUID(), traceId: randomUUID(), organizationId: 'org-test', patientId,
    channel: 'WEB', clientMessageId, receivedAt: Date.now(), locale: 'en',
    text: { keyId: 'test-key', nonce: Buffer.alloc(12, seq), ciphertext: Buffer.from(`opaque-${seq}`) },
  };
}

for (const driverName of ['kafkajs', 'rdkafka'] as const satisfies readonly DriverName[]) {
  describe(`Kafka with the ${driverName} driver and the schema registry`, () => {
    const cfg = testConfig({ 'kafka.driver': driverName });
    const group = uniqueId('g');
    const topics: TopicSpec[] = [
      { name: 'chat.inbound', partitions: 3, valueSchema: 'InboundMessage', cleanup: 'delete', retentionMs: 3_600_000, doc: 'test' },
      { name: deadLetterTopicName(group), partitions: 1, valueSchema: 'DeadLetter', cleanup: 'delete', retentionMs: 3_600_000, doc: 'test' },
    ];
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => { for (const c of cleanups.reverse()) await c(); });

    test('an Avro record goes through Kafka in order per patient, and poison records reach the dead-letter topic with their reason', async () => {
      cleanups.push(await createTestTopics(cfg, topics));
      const catalogue = new SchemaCatalogue({ registryUrl: cfg.registry.url, schemasDir: join(repoRoot(), 'schemas/avro'), topicPrefix: cfg.kafka.topicPrefix });
      await catalogue.registerTopics(topics);
      const driver = createKafkaDriver(cfg, silentLogger);
      const producer = await driver.producer();
      cleanups.push(() => producer.disconnect());
      const publisher = new Publisher(producer, catalogue, cfg.kafka.topicPrefix);

      const sent = [...Array(10).keys()].flatMap((i) => [inbound('patient-a', i), inbound('patient-b', i)]);
      await publisher.publish('chat.inbound', sent.slice(0, 10).map((v) => ({ key: v.patientId, value: v })));
      // Two poison records: bytes that are not Avro, and a record the processor rejects.
      await producer.send(cfg.kafka.topicPrefix + 'chat.inbound', [{ key: 'patient-c', value: Buffer.from('not avro at all') }]);
      await publisher.publish('chat.inbound', [{ key: 'patient-c', value: inbound('patient-c', 0, 'reject-me') }]);
      await publisher.publish('chat.inbound', sent.slice(10).map((v) => ({ key: v.patientId, value: v })));

      const received: InboundMessage[] = [];
      const consumer = driver.consumer({ groupId: cfg.kafka.topicPrefix + group, topics: [cfg.kafka.topicPrefix + 'chat.inbound'], fromBeginning: true, sessionTimeoutMs: 10_000 });
      await startConsumerLoop({
        groupId: group, consumer, catalogue, publisher, topicPrefix: cfg.kafka.topicPrefix, log: silentLogger, metrics: createMetrics(false),
        maxRetries: 2, retryBackoffMs: 10,
        process: async (value) => {
          const v = value as InboundMessage;
          if (v.clientMessageId === 'reject-me') throw new CareloopError('VALIDATION_FAILED', 'the processor rejects this record');
          received.push(v);
        },
      });
      cleanups.push(() => consumer.stop());

      await eventually(async () => (received.length >= sent.length ? true : undefined), 60_000, 'every valid record');
      assert.equal(received.length, sent.length, 'each valid record processed exactly once');
      for (const p of ['patient-a', 'patient-b']) {
        assert.deepEqual(received.filter((r) => r.patientId === p).map((r) => r.clientMessageId), sent.filter((s) => s.patientId === p).map((s) => s.clientMessageId), `order kept for ${p}`);
      }
      const first = received.find((r) => r.messageId === sent[0]?.messageId);
      assert.ok(first);
      assert.deepEqual(first.text.ciphertext, sent[0]?.text.ciphertext, 'bytes fields survive the round trip');

      const dead: DeadLetter[] = [];
      const dlqConsumer = driver.consumer({ groupId: cfg.kafka.topicPrefix + group + '-dlq-reader', topics: [cfg.kafka.topicPrefix + deadLetterTopicName(group)], fromBeginning: true, sessionTimeoutMs: 10_000 });
      await dlqConsumer.start(async (records: readonly IncomingRecord[]) => {
        for (const r of records) dead.push(await catalogue.decode<DeadLetter>(r.value));
      });
      cleanups.push(() => dlqConsumer.stop());
      await eventually(async () => (dead.length >= 2 ? true : undefined), 60_000, 'two dead letters');
      assert.deepEqual(dead.map((d) => d.errorCode).sort(), ['RECORD_UNDECODABLE', 'VALIDATION_FAILED']);
      const undecodable = dead.find((d) => d.errorCode === 'RECORD_UNDECODABLE');
      assert.equal(undecodable?.value?.toString('utf8'), 'not avro at all', 'the poison bytes are kept as they were');
      assert.equal(undecodable?.key?.toString('utf8'), 'patient-c');
      assert.equal(dead.find((d) => d.errorCode === 'VALIDATION_FAILED')?.reason, 'the processor rejects this record');
    });
  });
}

describe('both drivers agree on partitioning', () => {
  test('a key lands on the same partition whichever driver produced it', async () => {
    const cfg = testConfig();
    const spec: TopicSpec = { name: 'partitioning', partitions: 12, valueSchema: 'InboundMessage', cleanup: 'delete', retentionMs: 3_600_000, doc: 'test' };
    const cleanup = await createTestTopics(cfg, [spec]);
    try {
      const topic = cfg.kafka.topicPrefix + spec.name;
      const keys = [...Array(24).keys()].map((i) => `patient-${i}`);
      const seen = new Map<string, Map<string, number>>();
      for (const name of ['kafkajs', 'rdkafka'] as const) {
        const p = await createKafkaDriver(cfg, silentLogger, name).producer();
        await p.send(topic, keys.map((k) => ({ key: k, value: Buffer.from(name), headers: { driver: name } })));
        await p.disconnect();
      }
      const consumer = createKafkaDriver(cfg, silentLogger, 'kafkajs').consumer({ groupId: topic + '-reader', topics: [topic], fromBeginning: true, sessionTimeoutMs: 10_000 });
      await consumer.start(async (records) => {
        for (const r of records) {
          const key = r.key?.toString() ?? '';
          const m = seen.get(key) ?? new Map<string, number>();
          m.set(r.headers['driver'] ?? '', r.partition);
          seen.set(key, m);
        }
      });
      try {
        await eventually(async () => ([...seen.values()].filter((m) => m.size === 2).length === keys.length ? true : undefined), 60_000, 'records from both drivers');
      } finally {
        await consumer.stop();
      }
      for (const [key, m] of seen) assert.equal(m.get('kafkajs'), m.get('rdkafka'), `partition of ${key}`);
      assert.ok(new Set([...seen.values()].map((m) => m.get('kafkajs'))).size > 1, 'keys spread over partitions');
    } finally {
      await cleanup();
    }
  });
});
