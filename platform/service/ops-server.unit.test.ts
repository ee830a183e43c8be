import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from './metrics.js';
import { buildOpsServer } from './ops-server.js';

test('readiness is 200 when every check answers and 503 naming the failing one otherwise; metrics are Prometheus text', async () => {
  const metrics = createMetrics(false);
  let redisUp = true;
  const app = buildOpsServer({
    metrics,
    services: () => ['analytics-sink'],
    checks: () => [
      { name: 'kafka', check: async () => undefined },
      { name: 'redis', check: async () => { if (!redisUp) throw new Error('connection refused'); } },
      { name: 'kafka', check: async () => { throw new Error('a duplicate name runs once'); } },
    ],
  });
  try {
    const ok = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(Object.keys(ok.json().checks).sort(), ['kafka', 'redis']);
    redisUp = false;
    const bad = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(bad.statusCode, 503);
    assert.equal(bad.json().checks.redis.status, 'failing');
    assert.equal(bad.json().checks.redis.error, 'connection refused');
    assert.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'liveness does not depend on dependencies');
    metrics.recordsProcessed.inc({ group: 'g', topic: 'chat.inbound', outcome: 'ok' });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /careloop_records_processed_total\{group="g",topic="chat.inbound",outcome="ok"\} 1/);
  } finally {
    await app.close();
  }
});

test('an unknown ops path answers 404 with the {code, message} body of every port', async () => {
  const app = buildOpsServer({ metrics: createMetrics(false), services: () => [], checks: () => [] });
  try {
    const res = await app.inject({ method: 'GET', url: '/nothing?x=1' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'NOT_FOUND');
    assert.match(res.json().message, /no route GET \/nothing;/);
  } finally {
    await app.close();
  }
});
