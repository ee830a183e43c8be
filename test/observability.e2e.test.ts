import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { prepare } from '../platform/bootstrap.js';
import { ChatClient } from './chat-client.js';
import { eventually, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

// A local OTLP/HTTP collector: the product exports JSON spans to it as it would to a real one.
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: Array<{ key: string; value: { stringValue?: string } }> }
const spans: OtlpSpan[] = [];
let collector: Server;

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_'), 'redis.keyPrefix': `${uniqueId('otel')}:` });
let edge: ProductProcess;
let processors: ProductProcess;
let tenant: TestTenant;
let gatewayPort: number;
let edgeOps: number;
let processorOps: number;

before(async () => {
  const collectorPort = await freePort();
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));
  [gatewayPort, edgeOps, processorOps] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database, CARELOOP_REDIS_KEY_PREFIX: cfg.redis.keyPrefix,
    CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_API_PORT: String(await freePort()),
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_GATEWAY_RATE_LIMIT_BURST: '1000', CARELOOP_LOG_LEVEL: 'warn',
    CARELOOP_TELEMETRY_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
  };
  await prepare(cfg);
  tenant = await seedTenant(cfg, 2);
  // Two processes, so the trace context has to cross Kafka between them, not only a process's memory.
  edge = await ProductProcess.start(['gateway', 'delivery-ws'], { ...env, CARELOOP_SERVICES_OPS_PORT: String(edgeOps) });
  processors = await ProductProcess.start(['intent', 'dialogue'], { ...env, CARELOOP_SERVICES_OPS_PORT: String(processorOps) });
});

after(async () => {
  await processors?.stop();
  await edge?.stop();
  await new Promise((resolve) => collector?.close(resolve));
  await cleanupRun(cfg);
});

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The sum of a metric's samples whose labels match, from Prometheus text. */
function sample(text: string, name: string, labels: RegExp = /.*/): number {
  return text.split('\n').filter((l) => l.startsWith(name) && (l[name.length] === '{' || l[name.length] === ' ') && labels.test(l))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const attr = (s: OtlpSpan, key: string): string | undefined => s.attributes.find((a) => a.key === key)?.value.stringValue;

test('one message keeps one W3C trace id from the gateway through intent and dialogue to delivery, exported over OTLP', async () => {
  const p = tenant.patients[0];
  assert.ok(p);
  const client = await ChatClient.connect(`ws://127.0.0.1:${gatewayPort}/v1/chat`, p.token);
  try {
    const id = client.send('I took my pills this morning');
    await client.waitFor('the reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id));
  } finally {
    client.close();
  }
  const root = await eventually(async () => spans.find((s) => s.name === 'publish chat.inbound'), 20_000, 'the gateway span');
  const names = ['process chat.inbound', 'process chat.intents', 'process chat.outbound'];
  // Each process exports on its own schedule: wait for every hop, then judge.
  const hops = await eventually(async () => {
    const mine = spans.filter((s) => s.traceId === root.traceId);
    return names.every((n) => mine.some((s) => s.name === n)) ? mine : undefined;
  }, 20_000, 'intent, dialogue and delivery spans in the same trace').catch(() => spans.filter((s) => s.traceId === root.traceId));
  const groups = new Set(hops.map((s) => attr(s, 'messaging.consumer.group.name')).filter((g) => g !== undefined));
  for (const hop of names) assert.ok(hops.some((s) => s.name === hop), `${hop} in the trace: ${hops.map((s) => s.name).join(', ')}`);
  assert.ok(groups.size >= 3, `intent, dialogue and delivery groups: ${[...groups].join(', ')}`);
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  for (const s of hops.filter((h) => h !== root)) assert.ok(s.parentSpanId, `${s.name} has a parent: the context travelled in the record headers`);
});

test('HTTP, WebSocket, produce and consumer-lag metrics appear on /metrics and move under load', async () => {
  const beforeEdge = await metrics(edgeOps);
  const clients = await Promise.all(tenant.patients.map((p) => ChatClient.connect(`ws://127.0.0.1:${gatewayPort}/v1/chat`, p.token)));
  try {
    const during = await metrics(edgeOps);
    assert.equal(sample(during, 'careloop_ws_connections'), clients.length, 'open sockets');
    for (let i = 0; i < 5; i++) {
      await fetch(`http://127.0.0.1:${gatewayPort}/v1/version`);
      for (const c of clients) c.send(`I took my pills ${i}`);
    }
    for (const c of clients) await c.waitFor('five replies', (fs) => fs.filter((f) => f.type === 'message').length >= 5);
    clients[0]?.sendRaw('not json');
    await clients[0]?.waitFor('the error', (fs) => fs.some((f) => f.type === 'error'));
  } finally {
    for (const c of clients) c.close();
  }
  const afterEdge = await metrics(edgeOps);
  const grew = (name: string, labels?: RegExp): void => assert.ok(sample(afterEdge, name, labels) > sample(beforeEdge, name, labels), `${name} ${String(labels ?? '')} grew`);
  grew('careloop_http_requests_total', /route="\/v1\/version",status="200"/);
  grew('careloop_http_request_duration_seconds_count', /route="\/v1\/version"/);
  grew('careloop_ws_frames_total', /direction="in",type="message"/);
  grew('careloop_ws_frames_total', /direction="out",type="ack"/);
  grew('careloop_ws_errors_total', /code="BAD_FRAME"/);
  grew('careloop_records_produced_total', /topic="chat.inbound"/);
  const processorsText = await metrics(processorOps);
  assert.ok(sample(processorsText, 'careloop_records_produced_total', /topic="chat.outbound"/) >= 10, 'the dialogue counts what it produces');
  assert.match(processorsText, /careloop_kafka_consumer_lag\{group="[^"]+",topic="chat.inbound",partition="\d+"\} \d+/);
});
