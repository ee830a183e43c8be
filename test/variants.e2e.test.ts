import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { collectResults } from '../cli/variants-command.js';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { BanditStore } from '../platform/stores/bandit-store.js';
import { ChatClient } from './chat-client.js';
import { silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
let product: ProductProcess;
let tenant: TestTenant;
let api: string;
let gateway: string;

before(async () => {
  const [apiPort, gatewayPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  gateway = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  await prepare(cfg);
  tenant = await seedTenant(cfg, 6);
  product = await ProductProcess.start(['all'], {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_LOG_LEVEL: 'warn', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
  });
});
after(async () => {
  const redis = await deps.redis();
  const keys = await redis.keys(`${cfg.redis.keyPrefix}bandit:{${tenant.organizationId}}:*`);
  if (keys.length > 0) await redis.del(keys);
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
