/*
 * A scheduler that dies after publishing a batch and before marking it: the next claim of that batch
 * (a redelivery) finds its signals on Kafka and only marks them, so patient.signals holds each
 * reminder once. The crash is injected by a publisher that sends (all or part of a batch) and then fails.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { createTestTopics, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics } from '../../platform/kafka/topics.js';
import type { Publisher } from '../../platform/kafka/publisher.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { ReminderIndex } from '../../platform/stores/reminder-index.js';
import { OccurrenceStore } from '../../platform/stores/reminder-occurrences.js';
import { kafkaPublishedCheck } from './published-check.js';
import { ReminderEngine, reminderOptions } from './reminder-engine.js';
import { createReminderMetrics, type ReminderMetrics } from './reminder-metrics.js';

const cfg = testConfig({ 'reminders.shards': '1', 'reminders.visibilityTimeout': '30s' });
const deps = new Dependencies(cfg, silentLogger);
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'patient.signals')));
  pool = await deps.postgres();
});
after(async () => {
  await pool.query('DELETE FROM reminders.occurrences WHERE deployment = $1', [cfg.kafka.topicPrefix]);
  await new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix).clear(1);
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

async function engineWith(publisher: Pick<Publisher, 'publish'>): Promise<{ engine: ReminderEngine; metrics: ReminderMetrics }> {
  const metrics = createReminderMetrics(createMetrics(false).registry);
  const real = await deps.publisher();
  const e = new ReminderEngine({
    pool, occurrences: new OccurrenceStore(pool, cfg.kafka.topicPrefix), index: new ReminderIndex(await deps.redis(), cfg.kafka.topicPrefix, cfg.redis.keyPrefix),
    publisher, metrics, newTraceId: randomUUID, published: kafkaPublishedCheck(cfg.kafka, real.physical('patient.signals'), await deps.catalogue(), 30_000),
  }, reminderOptions(cfg.reminders));
  return { engine: e, metrics };
}

/** `n` reminders of a new organisation, due a few seconds ago, indexed; returns the organisation. */
async function dueReminders(engine: ReminderEngine, n: number, now: number): Promise<string> {
  const org = uniqueId('org_');
  await pool.query(
    `INSERT INTO reminders.occurrences (deployment, id, organization_id, patient_id, kind, plan_item_id, medication_id, due_at, shard)
     SELECT $1, 'dose_due:' || $2 || '_rx' || i || ':x', $2, $2 || '_p' || (i % 7), 'dose_due', $2 || '_rx' || i, $2 || '_rx' || i, to_timestamp($3::float8 / 1000.0), 0
       FROM generate_series(1, $4) AS i`, [cfg.kafka.topicPrefix, org, now - 3_000, n]);
  await engine.index(now);
  return org;
}

async function copiesOnKafka(org: string): Promise<Map<string, number>> {
  const catalogue = await deps.catalogue();
  const records = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.signals`);
  const perId = new Map<string, number>();
  for (const r of records) {
    const s = await catalogue.decode<PatientSignal>(r.value);
    if (s.organizationId === org) perId.set(s.signalId, (perId.get(s.signalId) ?? 0) + 1);
  }
  return perId;
}

const total = async (c: ReminderMetrics['foundOnKafka']): Promise<number> => (await c.get()).values.reduce((n, v) => n + v.value, 0);

for (const part of ['all', 'half'] as const) {
  test(`a scheduler dies after publishing ${part} of a batch, before marking it: the redelivery publishes only what is missing, none twice on Kafka`, async () => {
    const real = await deps.publisher();
    const now = Date.now();
    // Publishes all (or the first half) of the batch, then fails as a killed process would: nothing is marked or acknowledged.
    const dying: Pick<Publisher, 'publish'> = {
      publish: async (topic, records) => {
        await real.publish(topic, part === 'all' ? records : records.slice(0, Math.ceil(records.length / 2)));
        throw new Error('killed after publishing');
      },
    };
    const first = await engineWith(dying);
    const org = await dueReminders(first.engine, 40, now);
    const claimed = await first.engine.claim(0, now);
    assert.equal(claimed.length, 40);
    await assert.rejects(first.engine.deliver(0, claimed, now), /killed after publishing/);

    const second = await engineWith(real);
    const later = now + cfg.reminders.visibilityTimeout + 1_000;
    assert.equal(await second.engine.dispatch(later), part === 'all' ? 0 : 20, 'only the reminders not on Kafka are published');
    assert.equal(await total(second.metrics.foundOnKafka), part === 'all' ? 40 : 20, 'the rest found on Kafka');
    const perId = await copiesOnKafka(org);
    assert.equal(perId.size, 40, 'every reminder on Kafka');
    assert.deepEqual([...new Set(perId.values())], [1], 'each once');
    const { rows } = await pool.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM reminders.occurrences WHERE deployment = $1 AND organization_id = $2 GROUP BY state`, [cfg.kafka.topicPrefix, org]);
    assert.deepEqual(rows.map((r) => [r.state, Number(r.n)]), [['dispatched', 40]]);
    assert.equal(await second.engine.dispatch(later + cfg.reminders.visibilityTimeout + 1_000), 0, 'nothing left in flight');
  });
}
