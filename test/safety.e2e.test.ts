import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PatientAction } from '../schemas/generated/avro-types.js';
import { prepare } from '../platform/bootstrap.js';
import { readTopicToEnd } from '../platform/kafka/admin.js';
import { repoRoot } from '../platform/paths.js';
import { loadEmergencyDetector } from '../platform/safety/model-file.js';
import { TEMPLATES } from '../stream-processors/dialogue/templates.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { ChatClient } from './chat-client.js';
import { eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

// The clinical safety net through the whole product: held-out emergencies typed into the chat.
const SAMPLE = 60;
const DEADLINE_MS = 1000;
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
let env: NodeJS.ProcessEnv;
let gatewayUrl: string;
let product: ProductProcess;
let tenant: TestTenant;

// The safety replies' openings, in both languages (a symptom reply also names the emergency number).
const SAFETY_OPENINGS = ['emergency', 'emergency_self_harm', 'emergency_poisoning'].flatMap((id) => Object.values(TEMPLATES[id] ?? {}).map((t) => t.slice(0, t.indexOf('{'))));
const isSafetyReply = (text: string | undefined): boolean => text !== undefined && SAFETY_OPENINGS.some((o) => text.startsWith(o));

interface EvalItem { text: string; lang: 'en' | 'es'; label: 'emergency' | 'safe' }

/** Every k-th held-out emergency (both languages), fixed by the file, never chosen by the detector. */
function sample(): EvalItem[] {
  const file = JSON.parse(readFileSync(join(repoRoot(), 'platform/safety/eval/emergency-heldout.json'), 'utf8')) as { items: EvalItem[] };
  const emergencies = file.items.filter((i) => i.label === 'emergency');
  const step = Math.max(1, Math.floor(emergencies.length / SAMPLE));
  return emergencies.filter((_, i) => i % step === 0).slice(0, SAMPLE);
}

before(async () => {
  const [gatewayPort, apiPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  env = {
    ...process.env,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_GATEWAY_RATE_LIMIT_BURST: '1000', CARELOOP_LOG_LEVEL: 'warn',
  };
  gatewayUrl = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  await prepare(cfg);
  tenant = await seedTenant(cfg, 10);
  product = await ProductProcess.start(['gateway', 'delivery-ws', 'intent', 'dialogue'], env);
});

after(async () => {
  await product?.stop();
  await cleanupRun(cfg);
});

// How many emergencies the detector finds is platform/safety/emergency-eval.unit.test.ts's business
// (the goal of 99 % is not met yet); here the product must deliver every one it finds, within 1 s,
// with an urgent escalation, and lose none between the gateway and the patient's socket.
test(`held-out emergencies typed into the chat: every one the detector finds gets the safety reply within ${DEADLINE_MS} ms and an urgent escalation`, async (t) => {
  const items = sample();
  assert.ok(items.length >= 50, `a sample of at least 50, got ${items.length}`);
  const detector = await loadEmergencyDetector();
  const expectedMisses = items.flatMap((item, i) => (detector.assess(item.text) === null ? [i] : []));
  const clients = await Promise.all(tenant.patients.map((p) => ChatClient.connect(gatewayUrl, p.token)));
  try {
    // Warm the path once per client (first records pay for topic metadata and group joins).
    await Promise.all(clients.map(async (c) => { const id = c.send('hello'); await c.waitFor('warm-up reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 60_000); }));
    const latencies: number[] = [];
    const missed: number[] = [];
    // One message at a time per patient, as a person in distress would write; patients in parallel.
    await Promise.all(clients.map(async (c, ci) => {
      for (let i = ci; i < items.length; i += clients.length) {
        const item = items[i] as EvalItem;
        const sent = Date.now();
        const id = c.send(item.text);
        // A missed emergency may get no reply at all (a patient who was unsubscribed): give up after 5 s.
        const answered = await c.waitFor('a reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 5_000).then(() => true, () => false);
        const reply = c.frames.find((f) => f.type === 'message' && f.replyTo === id);
        if (!isSafetyReply(reply?.text) || !(reply?.text ?? '').includes(tenant.emergencyNumber)) missed.push(i);
        else if (answered) latencies.push(Date.now() - sent);
      }
    }));
    latencies.sort((a, b) => a - b);
    t.diagnostic(`safety e2e: ${items.length} held-out emergencies, ${items.length - missed.length} got the safety reply (the detector alone finds ${items.length - expectedMisses.length}); safety reply latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies[latencies.length - 1]} ms`);
    // Held-out texts are never printed (nothing may be tuned on them): only positions and counts.
    assert.deepEqual(missed.sort((a, b) => a - b), expectedMisses, 'the product answers exactly the emergencies its detector finds');
    assert.ok((latencies[latencies.length - 1] ?? Infinity) <= DEADLINE_MS, `slowest safety reply ${latencies[latencies.length - 1]} ms`);

    const deps = new Dependencies(cfg, silentLogger);
    try {
      const catalogue = await deps.catalogue();
      const urgent = await eventually(async () => {
        const recs = await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}patient.actions`);
        const actions = await Promise.all(recs.map((r) => catalogue.decode<PatientAction>(r.value)));
        const found = actions.filter((a) => a.type === 'escalate' && a.attributes['priority'] === 'urgent');
        return found.length >= items.length - missed.length ? found : undefined;
      }, 30_000, 'an urgent escalation per emergency');
      assert.equal(urgent.length, items.length - missed.length);
      assert.ok(urgent.every((a) => a.attributes['category'] !== undefined), 'each escalation names its category');
    } finally {
      await deps.close();
    }
  } finally {
    for (const c of clients) c.close();
  }
});
