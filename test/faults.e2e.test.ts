/*
 * The fault suite, CI-sized: every service in its own process under chat load from reconnecting
 * patients, while dialogue and the gateway are killed -9 once each, and a private Kafka
 * broker (this test's own, on its own ports) is killed and restarted: nothing lost, no visible
 * duplicate, nothing out of order per patient. The full suite is perf/faults/run.ts.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, test } from 'node:test';
import { loadConfig } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import { Deployment } from '../perf/faults/deployment.js';
import { PrivateStack } from '../perf/faults/private-stack.js';
import { rowPlans, runSuite } from '../perf/faults/suite.js';
import { adherenceFigures, unexplainedRows } from '../perf/faults/adherence.js';
import { adherenceTable, faultTable } from '../perf/faults/table.js';
import { createPgPool } from '../platform/storage/postgres.js';
import { uniqueId } from './helpers.js';
import { cleanupRun, freePort, seedTenant } from './product.js';

const run = uniqueId('faults');
const stack = new PrivateStack(`/tmp/careloop-${run}`, repoRoot(), '.stack', 29_200 + randomInt(0, 200) * 4, () => undefined);
let dep: Deployment | null = null;
let cfg = loadConfig({ env: process.env, overrides: { 'kafka.topicPrefix': `${run}.` } });

// The runner's file timeout kills this process without running after(): take the children along.
process.once('exit', () => { dep?.killAllNow(); stack.killAllNow(); });

after(async () => {
  await dep?.stopAll();
  await cleanupRun(cfg).catch(() => undefined);
  await stack.down();
});

test('kill -9 of dialogue and the gateway and a 30 s Kafka broker outage under load: nothing lost, nothing twice, in order', { timeout: 280_000 }, async (t) => {
  await stack.up(['kafka']);
  const env: NodeJS.ProcessEnv = {
    // rdkafka with static membership (Deployment gives each process its instance id): the layout
    // that recovers from a kill -9 in seconds; kafkajs waits out the dead member's session.
    ...process.env, ...stack.env(), CARELOOP_KAFKA_DRIVER: 'rdkafka', CARELOOP_KAFKA_TOPIC_PREFIX: `${run}.`, CARELOOP_REDIS_KEY_PREFIX: `${run}:`, CARELOOP_LOG_LEVEL: 'warn',
    CARELOOP_SERVICES_GATEWAY_PORT: String(await freePort()), CARELOOP_SERVICES_API_PORT: String(await freePort()), CARELOOP_AUDIT_ANCHOR_INTERVAL: '0s',
    CARELOOP_GATEWAY_RATE_LIMIT_BURST: '100000', CARELOOP_GATEWAY_RATE_LIMIT_PER_MINUTE: '6000000',
  };
  cfg = loadConfig({ env });
  dep = new Deployment(env, cfg.services.gatewayPort);
  dep.prepare();
  const tenant = await seedTenant(cfg, 30);
  await dep.startAll();
  // The broker stays down 30 s, past the consumers' session: the static members it fences on its
  // return must be replaced (librdkafka's fatal error) for the backlog to flow again.
  const rows = rowPlans('dialogue,gateway,kafka', 1, 0, 30_000);
  // Sized for the runner's 300 s per file on a busy machine: short rows, short settles.
  const outcome = await runSuite({ rate: 10, gapMs: 3_000, warmupMs: 2_000, baselineMs: 5_000, settleMs: 10_000, drainMs: 90_000, seed: 7, rows }, dep, tenant.patients, stack, (m) => process.stdout.write(`${m}\n`));
  // One diagnostic per line: TAP escapes newlines inside one.
  for (const line of [...faultTable(outcome.rows).split('\n'), ...outcome.events]) t.diagnostic(line);
  assert.equal(outcome.rows.length, rows.length + 1);
  for (const r of outcome.rows) {
    assert.ok(r.sent > 0, `${r.name}: messages were sent`);
    assert.equal(r.lost, 0, `${r.name}: none lost`);
    assert.equal(r.visibleDuplicates, 0, `${r.name}: no visible duplicate`);
    assert.equal(r.outOfOrder, 0, `${r.name}: in order per patient`);
  }
  assert.ok(outcome.reconnects >= 30, 'the gateway kill made every patient reconnect');
  // Adherence: each "taken" message that became a row did so once, under its own action id.
  await new Promise((r) => setTimeout(r, 3_000)); // the actions service batches its inserts
  const pg = createPgPool({ ...cfg.postgres, poolMax: 1, applicationName: 'careloop-faults-test' });
  const recorded = new Set((await pg.query<{ id: string }>('SELECT id FROM adherence_events WHERE organization_id = $1', [tenant.organizationId])).rows.map((r) => r.id));
  await pg.end();
  const adherence = outcome.spans.map((r) => ({ name: r.name, f: adherenceFigures(tenant.organizationId, outcome.ledger, r, recorded) }));
  const unexplained = unexplainedRows(tenant.organizationId, outcome.ledger, recorded);
  for (const line of adherenceTable(adherence, unexplained).split('\n')) t.diagnostic(line);
  assert.ok(recorded.size > 0, 'taken messages were recorded as adherence rows');
  for (const { name, f } of adherence) {
    assert.equal(f.recordedTwice, 0, `${name}: no dose recorded twice`);
    assert.equal(f.answeredWithoutRow, 0, `${name}: every answered "taken" message left its row`);
  }
  assert.equal(unexplained, 0, 'no adherence row under an id no message explains');
});
