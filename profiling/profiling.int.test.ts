import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import type { DeliveryStatus, OutboundMessage, PatientAction, PatientSignal, UnderstoodMessage } from '../schemas/generated/avro-types.js';
import { allTopics, GROUPS } from '../platform/kafka/topics.js';
import { encodeProfile } from '../platform/profiles/codec.js';
import { emptyProfile } from '../platform/profiles/features.js';
import { ProfileStore, profileKeyPrefix } from '../platform/profiles/store.js';
import { ProfileWriter } from '../platform/profiles/writer.js';
import { seededRandom } from '../platform/random/seeded.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { createMetrics } from '../platform/service/metrics.js';
import { PatientDirectory } from '../platform/stores/patient-directory.js';
import { createTestTopics, eventually, silentLogger, testConfig } from '../test/helpers.js';
import { seedTenant } from '../test/product.js';
import { toProfileEvent } from './events.js';
import { evolve, type ProfileEvent } from './evolve.js';
import { loadRiskModel, profiling } from './main.js';
import { scoreOrganization } from './score-job.js';
import { syntheticPatient } from './synthetic.js';

const cfg = testConfig();
const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const sealed = { keyId: 'k', nonce: Buffer.alloc(12), ciphertext: Buffer.alloc(16) };
const NAME = 'Rosalind Quennell';
const PHONE = '+16175550123';

/** The record of the real topic each synthetic event stands for. */
function recordOf(org: string, patientId: string, e: ProfileEvent): { topic: string; value: unknown } {
  const ids = { traceId: randomUUID(), organizationId: org, patientId };
  switch (e.kind) {
    case 'inbound':
      return { topic: 'chat.intents', value: { ...ids, messageId: e.id, channel: e.channel, clientMessageId: null, receivedAt: e.at, understoodAt: e.at, language: e.language, intent: 'medication_taken', confidence: 0.9, entityTypes: [], entities: null, text: sealed } satisfies UnderstoodMessage };
    case 'prompt':
      return { topic: 'chat.outbound', value: { ...ids, messageId: e.id, channel: e.channel, kind: 'PROACTIVE', replyTo: null, createdAt: e.at, workflowId: null, workflowVersion: null, templateId: null, variantId: null, propensity: null, content: sealed } satisfies OutboundMessage };
    case 'read':
      return { topic: 'delivery.status', value: { ...ids, messageId: e.id.replace(/:read$/, ''), channel: e.channel, status: 'READ', at: e.at, attempt: 1, errorCode: null } satisfies DeliveryStatus };
    case 'dose_due':
      return { topic: 'patient.signals', value: { ...ids, signalId: e.id, type: 'dose_due', source: 'scheduler', occurredAt: e.at, attributes: { due_at: new Date(e.at).toISOString() }, payload: null } satisfies PatientSignal };
    case 'adherence':
      return { topic: 'patient.actions', value: { ...ids, actionId: e.id, type: 'record_adherence', occurredAt: e.at, causedBy: null, workflowId: null, workflowVersion: null, attributes: { taken: String(e.taken), medication_id: 'm1' }, payload: null } satisfies PatientAction };
  }
}

// Answers pair with prompts through rings of RECENT_RING (16) events per side: a replay is exact while one topic runs no
// more than that many of a patient's events ahead of another. Twelve days of history stay inside that bound (see docs/profiles.md).
test('profiles built from the real topics: a replay from the beginning gives the same bytes as the first pass and as the events applied in order; no profile holds an identifier, a name or text', async () => {
  const group = GROUPS.find((g) => g.id === 'profiling');
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => (group?.topics as readonly string[]).includes(t.name) || t.name === 'dlq.profiling')));
  const tenant = await seedTenant(cfg, 6);
  const deps = new Dependencies(cfg, silentLogger);
  cleanups.push(() => deps.close());
  const [pool, redis, security, publisher] = [await deps.postgres(), await deps.redis(), await deps.security(), await deps.publisher()];
  const org = tenant.organizationId;
  // One patient with a vault identity (name, phone, birth date, address): only bands may reach the profile.
  const { patientId: known } = await security.vault.createPatient({ kind: 'staff', id: 'test', service: 'test' }, org, {
    givenName: 'Rosalind', familyName: 'Quennell', phone: PHONE, birthDate: '1958-04-02', address: { line: ['1 Main St'], postalCode: '02139', country: 'US' },
  }, 'treatment');
  await pool.query('INSERT INTO patients (id, organization_id, timezone) VALUES ($1, $2, $3)', [known, org, 'America/New_York']);
  const patients = [...tenant.patients.map((p) => p.id), known];
  const writer = new ProfileWriter(redis, profileKeyPrefix(cfg));
  cleanups.push(() => writer.remove(patients));

  const rand = seededRandom(7);
  const start = Date.UTC(2026, 9, 1);
  const histories = new Map(patients.map((id) => [id, syntheticPatient(rand, id, start, 12).events]));
  const records = [...histories].flatMap(([id, events]) => events.map((e) => recordOf(org, id, e)));
  for (const topic of new Set(records.map((r) => r.topic))) {
    await publisher.publish(topic as 'chat.intents', records.filter((r) => r.topic === topic).map((r) => ({ key: (r.value as { patientId: string }).patientId, value: r.value as UnderstoodMessage })));
  }

  let progress = '';
  const build = async (): Promise<Map<string, string>> => {
    const service = await profiling.start({ cfg, log: silentLogger, metrics: createMetrics(false), deps, now: Date.now });
    try {
      return await eventually(async () => {
        const got = await writer.getMany(patients);
        progress = got.map((p, i) => `${p?.events ?? 'none'}/${histories.get(patients[i] as string)?.length ?? 0}`).join(' ');
        if (!got.every((p, i) => p !== null && p.events === histories.get(patients[i] as string)?.length)) return undefined;
        return new Map(got.map((p, i) => [patients[i] as string, Buffer.from(encodeProfile(p ?? emptyProfile())).toString('hex')]));
      }, 60_000, 'every event applied').catch((err: unknown) => { throw new Error(`${(err as Error).message} (${progress})`); });
    } finally {
      await service.stop();
    }
  };
  const first = await build();

  // Rebuild: profiles gone, the group's offsets gone, the same topics read again from the beginning.
  await writer.remove(patients);
  const admin = new kafkajs.Kafka({ clientId: 'profiling-test', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteGroups([`${cfg.kafka.topicPrefix}profiling`]);
  await admin.disconnect();
  const replayed = await build();
  assert.deepEqual(replayed, first, 'the replay gives the same profile, byte for byte');

  const store = new ProfileStore(redis, profileKeyPrefix(cfg));
  const directory = new PatientDirectory(pool, null);
  for (const id of patients) {
    // The same as applying the patient's events in time order with their zone, bands and offsets added.
    const zone = await directory.timeZone(org, id);
    const mapped = (histories.get(id) ?? []).map((e) => { const r = recordOf(org, id, e); return toProfileEvent(r.topic, r.value)?.event ?? e; });
    const inOrder = mapped.reduce((p, e) => evolve(p, e, zone), emptyProfile());
    const stored = await store.get(id);
    assert.ok(stored !== null);
    inOrder.demographics = stored.demographics;
    inOrder.offsets = stored.offsets;
    inOrder.demographicsRead = true;
    assert.equal(first.get(id), Buffer.from(encodeProfile(inOrder)).toString('hex'), `patient ${patients.indexOf(id)}: the consumer's profile is the in-order one`);
  }
  const bands = (await store.get(known))?.demographics;
  assert.deepEqual(bands, { ageBand: '65-74', sex: 'unknown', zip3: '021' }, 'bands read once from the vault');

  // Daily scoring: every patient gets a segment of the table and a risk level; the view resolves the name.
  const model = loadRiskModel();
  assert.equal(await scoreOrganization(pool, writer, model, org, start + 13 * 86_400_000), patients.length);
  const table = await store.segments(org);
  assert.ok(table !== null && table.segments.length >= 3);
  const view = await store.view(org, known);
  assert.ok(view !== null && view.summary.risk !== 'unknown' && table.segments.some((s) => s.name === view.summary.segment));

  // Canary: raw Redis bytes of every profile key and the segment table hold no identifier, name or text.
  const keys: string[] = [];
  for await (const k of redis.scanIterator({ MATCH: `${profileKeyPrefix(cfg)}profile*`, COUNT: 1000 }) as AsyncIterable<string | string[]>) keys.push(...(Array.isArray(k) ? k : [k]));
  assert.ok(keys.length >= patients.length);
  for (const key of keys) {
    const type = await redis.type(key);
    const raw = type === 'hash' ? Object.values(await redis.hGetAll(key)).join('|') : (await redis.get(key)) ?? '';
    const decoded = type === 'hash' ? Buffer.from(raw.replace(/\|/g, ''), 'base64').toString('latin1') : raw;
    for (const secret of [NAME, 'Rosalind', 'Quennell', PHONE, '6175550123', '1958-04-02', '1958', '02139', 'Main St', 'medication_taken']) {
      assert.ok(!raw.includes(secret) && !decoded.includes(secret), `${key} holds "${secret}"`);
    }
    assert.ok(!key.includes('Rosalind') && !key.includes(PHONE));
  }
});
