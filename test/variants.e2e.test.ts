import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { collectResults } from '../cli/variants-command.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { emptyProfile } from '../platform/profiles/features.js';
import { profileKeyPrefix } from '../platform/profiles/store.js';
import { catalogWithSegments } from '../platform/profiles/workflow-fields.js';
import { ProfileWriter } from '../platform/profiles/writer.js';
import { BanditStore } from '../platform/stores/bandit-store.js';
import { defaultCatalog } from '../platform/workflow/catalog.js';
import { simulate } from '../platform/workflow/simulator.js';
import { keywordUnderstanding, mustCompile } from '../platform/workflow/test-support.js';
import { ChatClient } from './chat-client.js';
import { silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
let product: ProductProcess;
let tenant: TestTenant;
let personal: TestTenant;
let api: string;
let gateway: string;

before(async () => {
  const [apiPort, gatewayPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  gateway = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  await prepare(cfg);
  tenant = await seedTenant(cfg, 6);
  personal = await seedTenant(cfg, 6);
  product = await ProductProcess.start(['all'], {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
  });
});
after(async () => {
  const redis = await deps.redis();
  for (const org of [tenant.organizationId, personal.organizationId]) {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}bandit:{${org}}:*`);
    if (keys.length > 0) await redis.del(keys);
  }
  const writer = new ProfileWriter(redis, profileKeyPrefix(cfg));
  await writer.remove(personal.patients.map((p) => p.id));
  await redis.del(`${profileKeyPrefix(cfg)}profile-segments:${personal.organizationId}`);
  await product?.stop();
  await deps.close();
  await cleanupRun(cfg);
});

test('a published say with variants: each patient hears one wording, the bandit counts the send, and the next message rewards it', async () => {
  const org = tenant.organizationId;
  const key = (await (await deps.security()).apiKeys.create(org, 'org_admin', 'variants test')).token;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const source = readFileSync(join(repoRoot(), 'test/fixtures/variants.flow'), 'utf8');
  const saved = await fetch(`${api}/v1/organizations/${org}/workflows`, { method: 'POST', headers, body: JSON.stringify({ source }) });
  assert.equal(saved.status, 201);
  const { workflowId } = (await saved.json()) as { workflowId: string };
  const published = await fetch(`${api}/v1/organizations/${org}/workflows/${workflowId}/versions/1/publish`, { method: 'POST', headers: { authorization: headers.authorization } });
  assert.equal(published.status, 200);
  await new Promise((r) => setTimeout(r, 1500));

  const clients = await Promise.all(tenant.patients.map((p) => ChatClient.connect(gateway, p.token)));
  try {
    const heard: string[] = [];
    for (const c of clients) {
      const id = c.send('hello');
      await c.waitFor('the greeting', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 30_000);
      heard.push(c.frames.find((f) => f.type === 'message' && f.replyTo === id)?.text ?? '');
    }
    for (const text of heard) assert.match(text, /^Hello [ABC], how can I help\?$/);
    const store = new BanditStore(await deps.redis(), cfg.redis.keyPrefix, 60);
    const messages = await store.arms(org, 'all');
    const message = [...messages.keys()].find((k) => k.startsWith(`${workflowId}/`) && k.endsWith('/en'));
    assert.ok(message !== undefined, `the greeting's bandit key (have ${[...messages.keys()].join(', ')})`);
    const arms = messages.get(message) ?? [];
    assert.equal(arms.reduce((s, a) => s + a.sends, 0), clients.length, 'one send counted per greeting');
    assert.equal(arms.reduce((s, a) => s + a.rewards, 0), 0, 'nothing rewarded before the patients write again');
    for (const [i, text] of heard.entries()) assert.ok((arms[Number(/Hello ([ABC])/.exec(text)?.[1]?.charCodeAt(0)) - 65]?.sends ?? 0) > 0, `variant of patient ${i} counted`);

    for (const c of clients) {
      const id = c.send('I took my pills');
      await c.waitFor('the answer', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 30_000);
    }
    const rows = collectResults(await store.organisation(org));
    assert.equal(rows.reduce((s, r) => s + r.rewards, 0), clients.length, 'each reply within the hour rewarded its greeting once');
    // The interval is the Beta(1 + rewards, 1 + misses) posterior's: it holds the posterior mean, not always the raw rate.
    for (const r of rows) assert.ok(r.low >= 0 && r.low < (r.rewards + 1) / (r.sends + 2) && (r.rewards + 1) / (r.sends + 2) < r.high && r.high <= 1, JSON.stringify(r));
  } finally {
    for (const c of clients) c.close();
  }
});

test('a workflow using segment, risk and variant bandits validates (a misspelt segment is refused), simulates, and runs end to end: each patient gets their branch, the bandit counts per segment', async () => {
  const org = personal.organizationId;
  const redis = await deps.redis();
  const writer = new ProfileWriter(redis, profileKeyPrefix(cfg));
  // What the daily job leaves: the organisation's segment table and each patient's scores (risk high: p0, p1; evening responders: p2, p3; unplaced: p4, p5).
  const table = { organizationId: org, day: 20_500, segments: [
    { index: 1, name: 'morning responders', description: 'active around 08:00', size: 2 },
    { index: 2, name: 'evening responders', description: 'active around 19:00', size: 2 },
  ] };
  await writer.saveSegments(table);
  const scores = [{ segment: 1, risk: 0.9, riskLevel: 'high' as const }, { segment: 1, risk: 0.9, riskLevel: 'high' as const }, { segment: 2, risk: 0.1, riskLevel: 'low' as const }, { segment: 2, risk: 0.1, riskLevel: 'low' as const }];
  await writer.saveMany(new Map(personal.patients.map((p) => [p.id, emptyProfile()])));
  await writer.saveScores(new Map(scores.map((s, i) => [personal.patients[i]?.id as string, { ...s, risk: Math.round(s.risk * 255) / 255, scoredDay: 20_500 }])));

  const key = (await (await deps.security()).apiKeys.create(org, 'org_admin', 'segment risk test')).token;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const source = readFileSync(join(repoRoot(), 'test/fixtures/segment-risk.flow'), 'utf8');
  // Validates: the API checks segment names against the organisation's table.
  const misspelt = await fetch(`${api}/v1/organizations/${org}/workflows`, { method: 'POST', headers, body: JSON.stringify({ source: source.replace('"evening responders"', '"evening responderz"') }) });
  assert.ok(misspelt.status >= 400 && misspelt.status < 500, `refused: ${misspelt.status}`);
  assert.match(await misspelt.text(), /WF_BAD_VALUE/);
  const saved = await fetch(`${api}/v1/organizations/${org}/workflows`, { method: 'POST', headers, body: JSON.stringify({ source }) });
  assert.equal(saved.status, 201);
  const { workflowId } = (await saved.json()) as { workflowId: string };

  // Simulates: the same source, compiled against the same segment names, answers each profile with its branch.
  const wf = mustCompile(source, catalogWithSegments(defaultCatalog(['en', 'es']), table));
  const understand = keywordUnderstanding({ hello: 'greeting' });
  const said = async (profile: Record<string, string>): Promise<string[]> => (await simulate(wf, { language: 'en', start: '2026-03-02T09:00:00Z', profile, steps: [{ patient: 'hello' }] }, { understand }))
    .entries.filter((e) => e.kind === 'bot' || e.kind === 'action').map((e) => e.text ?? '');
  assert.match((await said({ risk: 'high', segment: 'morning responders' })).join('|'), /^Risk R[12]: the care team will call\.\|escalate$/);
  assert.match((await said({ risk: 'low', segment: 'evening responders' })).join('|'), /^Evening E[12], how can I help\?$/);
  assert.deepEqual(await said({ risk: 'unknown', segment: '' }), ['Hello D, how can I help?']);

  const published = await fetch(`${api}/v1/organizations/${org}/workflows/${workflowId}/versions/1/publish`, { method: 'POST', headers: { authorization: headers.authorization } });
  assert.equal(published.status, 200);
  await new Promise((r) => setTimeout(r, 1500));

  // Runs end to end: the dialogue reads each profile through the store and takes the patient's branch.
  const clients = await Promise.all(personal.patients.map((p) => ChatClient.connect(gateway, p.token)));
  try {
    const heard: string[] = [];
    for (const c of clients) {
      const id = c.send('hello');
      await c.waitFor('the greeting', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 30_000);
      heard.push(c.frames.find((f) => f.type === 'message' && f.replyTo === id)?.text ?? '');
    }
    const expected = [/^Risk R[12]:/, /^Risk R[12]:/, /^Evening E[12],/, /^Evening E[12],/, /^Hello D,/, /^Hello D,/];
    heard.forEach((text, i) => assert.match(text, expected[i] as RegExp, `patient ${i}`));
    const store = new BanditStore(redis, cfg.redis.keyPrefix, 60);
    const sendsIn = async (segment: string): Promise<number> => {
      const arms = await store.arms(org, segment);
      return [...arms].filter(([k]) => k.startsWith(`${workflowId}/`)).reduce((n, [, a]) => n + a.reduce((s, x) => s + x.sends, 0), 0);
    };
    assert.equal(await sendsIn('morning responders'), 2, 'the high-risk wording counted in the patients\' segment');
    assert.equal(await sendsIn('evening responders'), 2, 'the evening wording counted in theirs');
  } finally {
    for (const c of clients) c.close();
  }
});
