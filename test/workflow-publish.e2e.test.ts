import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { timerKey } from '../platform/stores/timers.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { ChatClient } from './chat-client.js';
import { silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
let product: ProductProcess;
let tenant: TestTenant;
let api: string;
let gateway: string;
let key: string;

before(async () => {
  const [apiPort, gatewayPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  gateway = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  await prepare(cfg);
  tenant = await seedTenant(cfg, 34);
  key = (await (await deps.security()).apiKeys.create(tenant.organizationId, 'org_admin', 'publish test')).token;
  product = await ProductProcess.start(['all'], {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort), CARELOOP_SERVICES_TWILIO_PORT: String(await freePort()),
    CARELOOP_GATEWAY_RATE_LIMIT_BURST: '1000', CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
  });
});
after(async () => {
  await product?.stop();
  await deps.close();
  await cleanupRun(cfg);
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Stores a workflow file (a path under the repository) as a new version and publishes it. */
async function saveAndPublish(path: string): Promise<number> {
  const source = readFileSync(join(repoRoot(), path), 'utf8');
  const org = tenant.organizationId;
  const saved = await call('POST', `/v1/organizations/${org}/workflows`, { source });
  assert.equal(saved.status, 201, JSON.stringify(saved.json));
  const version = saved.json['version'] as number;
  const published = await call('POST', `/v1/organizations/${org}/workflows/${saved.json['workflowId'] as string}/versions/${version}/publish`);
  assert.equal(published.status, 200, JSON.stringify(published.json));
  return version;
}

function replyTo(c: ChatClient, id: string): string | undefined {
  return c.frames.find((f) => f.type === 'message' && f.replyTo === id)?.text;
}

test('publishing a new version under load: nothing lost or answered twice, conversations in flight finish on their version, new ones take the new version within a second', async (t) => {
  const org = tenant.organizationId;
  assert.equal(await saveAndPublish('test/fixtures/checkin-v1.flow'), 1);
  const [inFlight, fresh, ...busy] = await Promise.all(tenant.patients.slice(0, 24).map((p) => ChatClient.connect(gateway, p.token)));
  assert.ok(inFlight && fresh);
  try {
    // A conversation starts on version 1 and waits for its answer.
    await new Promise((r) => setTimeout(r, 1500));
    const hello = inFlight.send('hello');
    await inFlight.waitFor('the v1 question', (fs) => fs.some((f) => f.replyTo === hello));
    assert.match(replyTo(inFlight, hello) ?? '', /^V1: how are you/);

    // Steady traffic from the other patients while version 2 is published.
    const sent = new Map<ChatClient, string[]>(busy.map((c) => [c, []]));
    let sending = true;
    const traffic = (async () => {
      const texts = ['thanks', 'I took my pills', 'help', 'remind me later'];
      for (let i = 0; sending; i++) {
        for (const c of busy) sent.get(c)?.push(c.send(texts[i % texts.length] as string));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // The load harness drives ten more patients through the publish, with its own accounting.
    const dir = mkdtempSync(join(tmpdir(), 'careloop-harness-'));
    writeFileSync(join(dir, 'demo.json'), JSON.stringify({ gatewayUrl: gateway, patients: tenant.patients.slice(24).map((p) => ({ id: p.id, token: p.token })) }));
    const harness = spawn(process.execPath, [join(repoRoot(), 'dist/perf/load-harness.js'), '--demo-file', join(dir, 'demo.json'), '--connections', '10',
      '--rate', '40', '--warmup', '1', '--duration', '5', '--drain', '60', '--out', join(dir, 'result.json')], { stdio: 'ignore' });
    const harnessDone = new Promise<number | null>((resolve) => harness.on('exit', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 2500));
    const publishedAt = Date.now();
    assert.equal(await saveAndPublish('test/fixtures/checkin-v2.flow'), 2);
    await new Promise((r) => setTimeout(r, Math.max(0, publishedAt + 1000 - Date.now())));

    const freshHello = fresh.send('hello');
    await fresh.waitFor('the fresh conversation', (fs) => fs.some((f) => f.replyTo === freshHello));
    assert.match(replyTo(fresh, freshHello) ?? '', /^V2: how are you/, 'a new conversation one second after the publish runs version 2');
    const answer = inFlight.send('good');
    await inFlight.waitFor('the in-flight answer', (fs) => fs.some((f) => f.replyTo === answer));
    assert.equal(replyTo(inFlight, answer), 'V1: glad to hear it.', 'the conversation in flight finishes on version 1');

    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await traffic;
    let total = 0;
    for (const [c, ids] of sent) {
      await c.waitFor('every reply', (fs) => ids.every((id) => fs.some((f) => f.type === 'message' && f.replyTo === id)), 60_000);
      const replies = c.frames.filter((f) => f.type === 'message' && ids.includes(f.replyTo ?? ''));
      assert.equal(replies.length, ids.length, 'one reply per message, none twice');
      assert.equal(c.frames.filter((f) => f.type === 'error').length, 0);
      total += ids.length;
    }
    assert.equal(await harnessDone, 0, 'the load harness completed');
    const h = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { results: { sent: number; replied: number; lostReplies: number; lostAcks: number; errors: Record<string, number>; duplicateMessages: number } }).results;
    assert.deepEqual([h.lostReplies, h.lostAcks, h.duplicateMessages, Object.keys(h.errors).length], [0, 0, 0, 0], JSON.stringify(h));
    assert.equal(h.replied, h.sent);
    t.diagnostic(`publish under load: ${total} test messages from ${busy.length} patients and ${h.sent} harness messages, each answered once`);
    const list = await call('GET', `/v1/organizations/${org}/workflows`);
    assert.deepEqual((list.json['workflows'] as Array<{ activeVersion: number }>)[0]?.activeVersion, 2);

    // Rollback is one call; new conversations take version 1 again.
    const rollback = await call('POST', `/v1/organizations/${org}/workflows/load-check-in/rollback`, { version: 1 });
    assert.equal(rollback.status, 200);
    await new Promise((r) => setTimeout(r, 1000));
    const again = busy[0]?.send('hello') ?? '';
    await busy[0]?.waitFor('after rollback', (fs) => fs.some((f) => f.replyTo === again));
    assert.match(busy[0] ? replyTo(busy[0], again) ?? '' : '', /^V1: how are you/);
    const diff = await call('GET', `/v1/organizations/${org}/workflows/load-check-in/diff?from=1&to=2`);
    assert.match(diff.json['diff'] as string, /^-workflow "Load check-in" version 1$/m);
  } finally {
    for (const c of [inFlight, fresh, ...busy]) c.close();
  }
});

test('invalid workflows are refused with their problems; nothing is stored', async () => {
  const res = await call('POST', `/v1/organizations/${tenant.organizationId}/workflows`, { source: 'workflow "Broken" version 1\non intent nonsense\n  say "hi"\nend\n' });
  assert.equal(res.status, 422);
  assert.equal(res.json['code'], 'WORKFLOW_INVALID');
  const problems = res.json['problems'] as Array<{ code: string; line: number; column: number }>;
  assert.deepEqual([problems[0]?.code, problems[0]?.line], ['WF_UNKNOWN_INTENT', 2]);
});

test('a patient signal runs the workflow that waits for it: a refill nudge, then the answer goes to that workflow', async () => {
  const org = tenant.organizationId;
  await saveAndPublish('workflows/library/refill-pickup.flow');
  await new Promise((r) => setTimeout(r, 1000));
  const patient = tenant.patients[23];
  assert.ok(patient);
  const client = await ChatClient.connect(gateway, patient.token);
  try {
    const publisher = await deps.publisher();
    const { randomUUID } = await import('node:crypto');
    await publisher.publish('patient.signals', [{ key: patient.id, value: {
      signalId: randomUUID(), traceId: randomUUID(), organizationId: org, patientId: patient.id, type: 'refill_due', source: 'test',
      occurredAt: Date.now(), attributes: { medication: patient.medication, pharmacy: 'Main Street Pharmacy', ready_time: '4 pm' }, payload: null,
    } }]);
    await client.waitFor('the nudge and the question', (fs) => fs.filter((f) => f.type === 'message' && f.replyTo === null).length >= 2);
    const proactive = client.replies().map((f) => f.text ?? '');
    assert.match(proactive[0] ?? '', new RegExp(patient.medication));
    assert.match(proactive[1] ?? '', /Main Street Pharmacy/);
    const yes = client.send('yes');
    await client.waitFor('the answer', (fs) => fs.some((f) => f.replyTo === yes));
    assert.equal(replyTo(client, yes), 'Done, pick it up after 4 pm.');
  } finally {
    client.close();
  }
});

test('a wait arms a timer that the scheduler fires: the workflow resumes where it waited', async () => {
  await saveAndPublish('test/fixtures/timer-check.flow');
  await new Promise((r) => setTimeout(r, 1000));
  const patient = tenant.patients[22];
  assert.ok(patient);
  const client = await ChatClient.connect(gateway, patient.token);
  try {
    const id = client.send('thanks');
    await client.waitFor('the first line', (fs) => fs.some((f) => f.replyTo === id));
    assert.equal(replyTo(client, id), 'T: noted.');
    // The fake clock: bring this patient's timer forward instead of waiting a minute.
    const redis = await deps.redis();
    const key = timerKey(cfg.kafka.topicPrefix, cfg.redis.keyPrefix);
    const members = (await redis.zRange(key, 0, -1)).filter((m) => m.includes(patient.id));
    assert.equal(members.length, 1, 'one timer armed for the patient');
    await redis.zAdd(key, { score: Date.now(), value: members[0] as string }, { XX: true });
    await client.waitFor('the line after the wait', (fs) => fs.some((f) => f.type === 'message' && f.text === 'T: a minute later.'), 15_000);
    assert.equal(client.replies().filter((f) => f.text === 'T: a minute later.').length, 1, 'fired once');
  } finally {
    client.close();
  }
});
