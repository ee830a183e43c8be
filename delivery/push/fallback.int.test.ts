import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { OutboundMessage } from '../../schemas/generated/avro-types.js';
import { ReachabilityReader } from '../../platform/delivery/reachability.js';
import { WebChannel } from '../../platform/delivery/web-channel.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { PushDevices } from '../../platform/stores/push-devices.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { seedTenant, type TestTenant } from '../../test/product.js';
import { runFallback, type FallbackPorts } from './fallback.js';
import { deliverPush } from './push-job.js';

const cfg = testConfig({ 'redis.keyPrefix': `${uniqueId('fbtest')}:` });
const deps = new Dependencies(cfg, silentLogger);
let tenant: TestTenant;
let web: WebChannel;
let ports: FallbackPorts;
const published: OutboundMessage[] = [];

before(async () => {
  tenant = await seedTenant(cfg, 3);
  const [pool, redis] = [await deps.postgres(), await deps.redis()];
  web = new WebChannel(redis, cfg.redis.keyPrefix, 3600);
  const reach = new ReachabilityReader(pool, web.routes);
  ports = { web, now: Date.now, reachability: (o, p) => reach.of(o, p), publish: async (m) => { published.push(m); } };
});
after(() => deps.close());

async function queued(patientId: string): Promise<string> {
  const keyring = await deps.keyring();
  const messageId = randomUUID();
  await web.deliver(patientId, { messageId, replyTo: null, organizationId: tenant.organizationId, content: await keyring.sealText(tenant.organizationId, patientId, '{"text":"reminder","quickReplies":[]}') });
  return messageId;
}

const fallback = (patientId: string, messageId: string, tried: Array<'WEB' | 'PUSH'>) => ({ at: 0, organizationId: tenant.organizationId, patientId, messageId, traceId: 't', tried });

test('a reminder unseen on the web goes once to push; the push copy does not queue it on the web a second time', async () => {
  const p = tenant.patients[0]?.id as string;
  const devices = new PushDevices(await deps.postgres(), await deps.keyring());
  await devices.register(tenant.organizationId, p, { kind: 'fcm', token: `fcm-${randomUUID()}-${randomUUID()}` });
  const id = await queued(p);
  assert.equal(await runFallback(fallback(p, id, ['WEB']), ports), 'PUSH');
  const copy = published.find((m) => m.patientId === p);
  assert.equal(copy?.messageId, `${id}~push`);
  assert.equal(copy?.kind, 'PROACTIVE');
  assert.ok(copy !== undefined);
  // delivery-push handles the copy: its outbox entry keeps the original id, so it is queued once.
  const sent: string[] = [];
  await deliverPush(copy, {
    web, devices, chatUrl: 'https://chat.example/', fallbackAfter: 60_000, now: Date.now,
    fallbacks: { arm: async () => undefined }, webPush: null, fcm: async (token) => { sent.push(token); return { kind: 'sent' }; },
    recipient: async () => ({ organizationName: 'Test Clinic', language: 'en', active: true }),
    claim: async () => true, sentBefore: async () => false, markSent: async () => undefined, count: () => undefined, status: async () => undefined,
  });
  assert.equal(sent.length, 1);
  assert.deepEqual((await web.outbox.read(p)).map((e) => e.messageId), [id], 'one entry, the original');
});

test('a reminder with no further channel stays on the web; one already seen goes nowhere', async () => {
  const p = tenant.patients[1]?.id as string;
  const id = await queued(p);
  assert.equal(await runFallback(fallback(p, id, ['WEB']), ports), 'no_channel', 'no device, no SMS consent');
  assert.equal(await runFallback(fallback(p, id, ['WEB', 'PUSH']), ports), 'no_channel');
  assert.ok((await web.waiting(p, id)) !== null, 'still waiting for the chat');
  const [entry] = await web.outbox.read(p);
  await web.outbox.remove(p, [entry?.streamId as string]); // what the gateway does once the socket has it
  assert.equal(await runFallback(fallback(p, id, ['WEB']), ports), 'seen');
  assert.equal(published.filter((m) => m.patientId === p).length, 0);
});

test('an SMS fallback takes the reminder off the web, and puts it back when the record cannot be produced', async () => {
  const p = tenant.patients[2]?.id as string;
  const pool = await deps.postgres();
  // SMS allowed: a phone in the blind index (a digest only) and consent on record.
  await pool.query(`INSERT INTO vault.patients (patient_id, organization_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [p, tenant.organizationId]);
  await pool.query(`INSERT INTO vault.blind_indexes (organization_id, kind, digest, patient_id) VALUES ($1, 'phone', $2, $3)`, [tenant.organizationId, Buffer.from(randomUUID()), p]);
  await pool.query(`INSERT INTO consents (patient_id, organization_id, channel, granted, source) VALUES ($1, $2, 'sms', true, 'test')`, [p, tenant.organizationId]);
  const id = await queued(p);
  const failing: FallbackPorts = { ...ports, publish: async () => { throw new Error('kafka down'); } };
  await assert.rejects(runFallback(fallback(p, id, ['WEB', 'PUSH']), failing));
  assert.ok((await web.waiting(p, id)) !== null, 'put back on the web');
  assert.equal(await runFallback(fallback(p, id, ['WEB', 'PUSH']), ports), 'SMS');
  assert.deepEqual(published.filter((m) => m.patientId === p).map((m) => [m.channel, m.messageId]), [['SMS', `${id}~sms`]]);
  assert.equal(await web.waiting(p, id), null, 'no longer on the web');
  assert.equal(await runFallback(fallback(p, id, ['WEB', 'PUSH']), ports), 'seen', 'a second claim sends nothing');
});
