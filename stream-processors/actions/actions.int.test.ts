import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import type { DeadLetter, PatientAction } from '../../schemas/generated/avro-types.js';
import { readTopicToEnd } from '../../platform/kafka/admin.js';
import { allTopics, GROUPS } from '../../platform/kafka/topics.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { createTestTopics, eventually, silentLogger, testConfig } from '../../test/helpers.js';
import { seedTenant } from '../../test/product.js';
import { actions } from './main.js';

const cfg = testConfig();
const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

test('actions land in the system of record once: adherence recorded, replays ignored, an opt-out recorded, a bad action dead-lettered alone while its neighbours land', async () => {
  const group = GROUPS.find((g) => g.id === 'actions');
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => (group?.topics as readonly string[]).includes(t.name) || t.name === 'dlq.actions')));
  const tenant = await seedTenant(cfg, 5);
  const deps = new Dependencies(cfg, silentLogger);
  cleanups.push(() => deps.close());
  const pool = await deps.postgres();
  const service = await actions.start({ cfg, log: silentLogger, metrics: createMetrics(false), deps, now: Date.now });
  cleanups.push(() => service.stop());

  const org = tenant.organizationId;
  const action = (patientId: string, type: string, attributes: Record<string, string>): PatientAction => ({
    actionId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId, type, occurredAt: Date.now(),
    causedBy: null, workflowId: 'default', workflowVersion: 1, attributes, payload: null,
  });
  const adherence = tenant.patients.flatMap((p, i) => Array.from({ length: 8 }, (_, k) => action(p.id, 'record_adherence', { taken: String((i + k) % 3 !== 0), medication_id: `${p.id}_m` })));
  const replayed = adherence.slice(0, 5);
  const stranger = action(`${org}_nobody`, 'record_adherence', { taken: 'true', medication_id: '' });
  const optOut = action(tenant.patients[1]?.id ?? '', 'opt_out', { channel: 'web' });
  const publisher = await deps.publisher();
  const records = [...adherence, stranger, optOut, ...replayed].map((a) => ({ key: a.patientId, value: a }));
  await publisher.publish('patient.actions', records);

  const counted = await eventually(async () => {
    const { rows } = await pool.query<{ n: string; taken: string }>('SELECT count(*) AS n, count(*) FILTER (WHERE taken) AS taken FROM adherence_events WHERE organization_id = $1', [org]);
    return Number(rows[0]?.n) === adherence.length ? rows[0] : undefined;
  }, 60_000, 'every adherence row');
  assert.equal(Number(counted?.taken), adherence.filter((a) => a.attributes['taken'] === 'true').length);

  const status = await eventually(async () => {
    const { rows } = await pool.query<{ status: string; granted: boolean | null }>(
      'SELECT p.status, c.granted FROM patients p LEFT JOIN consents c ON c.patient_id = p.id AND c.channel = $2 WHERE p.id = $1', [tenant.patients[1]?.id, 'web']);
    return rows[0]?.status === 'opted_out' ? rows[0] : undefined;
  }, 30_000, 'the opt-out');
  assert.equal(status.granted, false);

  const catalogue = await deps.catalogue();
  const dead = await eventually(async () => {
    const recs = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}dlq.actions`);
    return recs.length > 0 ? recs : undefined;
  }, 30_000, 'the dead letter');
  assert.equal(dead.length, 1, 'only the action of the unknown patient is dead-lettered');
  const letter = await catalogue.decode<DeadLetter>(dead[0]?.value ?? null);
  assert.equal(letter.key?.toString(), stranger.patientId);
  assert.match(letter.reason, /foreign key/);

  // Replays changed nothing: the count is still one row per action id.
  const { rows } = await pool.query<{ n: string }>('SELECT count(DISTINCT id) AS n FROM adherence_events WHERE organization_id = $1', [org]);
  assert.equal(Number(rows[0]?.n), adherence.length);
});
