import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { OutboundMessage, PatientAction } from '../../schemas/generated/avro-types.js';
import { readTopicToEnd } from '../kafka/admin.js';
import { allTopics } from '../kafka/topics.js';
import { repoRoot } from '../paths.js';
import { Dependencies } from '../service/dependencies.js';
import { createMetrics } from '../service/metrics.js';
import { migratePostgres, type PgPool } from '../storage/postgres.js';
import { ConversationHolds } from '../stores/conversation-holds.js';
import { createTestTopics, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { seedTenant, type TestTenant } from '../../test/product.js';
import { intake, type IntakeDeps } from './intake.js';
import { createPagerMetrics, Pager } from './pager.js';
import { TaskStore } from './task-store.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const SECRET_VAR = `ONCALL_SECRET_${uniqueId('').toUpperCase()}`;
const SECRET = 'the-clinic-on-call-secret-0123456789';
const ACK_MS = 1_500;
const cleanups: Array<() => Promise<void>> = [];
let pool: PgPool;
let tenant: TestTenant;
let tasks: TaskStore;
let intakeDeps: IntakeDeps;
let pager: Pager;
let receiver: Server;
let base = '';
/** What the on-call receiver got: contact (from the path), headers and the exact body. */
const received: Array<{ contact: string; signature: string; delivery: string; body: string }> = [];
/** Contacts whose endpoint answers 500 (a broken pager service). */
const broken = new Set<string>();
const metrics = createMetrics(false);

before(async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'chat.outbound')));
  pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
  tenant = await seedTenant(cfg, 4);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const contact = req.url?.slice(1) ?? '';
      received.push({ contact, signature: String(req.headers['x-careloop-signature']), delivery: String(req.headers['x-careloop-delivery']), body });
      res.writeHead(broken.has(contact) ? 500 : 202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  tasks = new TaskStore(pool, cfg.kafka.topicPrefix, { sla: { urgent: 900_000, high: 3_600_000, normal: 14_400_000, low: 86_400_000 }, ackTimeoutMs: 120_000 });
  await tasks.putSettings(tenant.organizationId, { sla: { urgent: 300_000 }, contacts: [{ id: 'nurse-a', url: `${base}/nurse-a` }, { id: 'nurse-b', url: `${base}/nurse-b` }], webhookSecretRef: `env:${SECRET_VAR}`, ackTimeoutMs: ACK_MS });
  const [redis, keyring, publisher] = await Promise.all([deps.redis(), deps.keyring(), deps.publisher()]);
  intakeDeps = { pool, tasks, holds: new ConversationHolds(redis, cfg.redis.keyPrefix), keyring, publisher, now: Date.now };
  // clock 0: the ack window starts at the round's own (fake) time, so the steps below are exact.
  pager = new Pager({ pool, deployment: cfg.kafka.topicPrefix, tasks, metrics: createPagerMetrics(metrics.registry), log: silentLogger, timeoutMs: 2_000, clock: () => 0, env: { [SECRET_VAR]: SECRET } });
});
after(async () => {
  receiver.close();
  for (const c of cleanups.reverse()) await c();
  await deps.close();
});

function action(patientId: string, type: string, attributes: Record<string, string>, at = Date.now()): PatientAction {
  return { actionId: randomUUID(), traceId: randomUUID(), organizationId: tenant.organizationId, patientId, type, occurredAt: at, causedBy: randomUUID(), workflowId: null, workflowVersion: null, attributes, payload: null };
}
const pagesOf = (taskId: string) => received.filter((r) => (JSON.parse(r.body) as { taskId: string }).taskId === taskId);

test('an urgent escalation is one task however often replayed, pages the first contact at once, the next after the ack window, then stops', async () => {
  const a = action(tenant.patients[0]?.id ?? '', 'escalate', { priority: 'urgent', reason: 'emergency', category: 'stroke', channel: 'WEB', language: 'en' });
  for (let i = 0; i < 3; i++) await intake(intakeDeps, a, silentLogger);
  const { rows } = await pool.query<{ id: string; due_at: Date }>('SELECT id, due_at FROM inbox.tasks WHERE source_action_id = $1', [a.actionId]);
  assert.equal(rows.length, 1, 'one task for a replayed action');
  const taskId = rows[0]?.id ?? '';
  assert.equal(rows[0]?.due_at.getTime(), a.occurredAt + 300_000, 'the organisation\'s urgent SLA');

  const t0 = Date.now();
  await pager.round(t0);
  assert.deepEqual(pagesOf(taskId).map((p) => p.contact), ['nurse-a']);
  await pager.round(t0 + ACK_MS - 100);
  assert.equal(pagesOf(taskId).length, 1, 'nothing more inside the acknowledgement window');
  await pager.round(t0 + ACK_MS + 100);
  assert.deepEqual(pagesOf(taskId).map((p) => p.contact), ['nurse-a', 'nurse-b'], 'unacknowledged: the next contact');
  await pager.round(t0 + 2 * ACK_MS + 200);
  await pager.round(t0 + 10 * ACK_MS);
  assert.equal(pagesOf(taskId).length, 2, 'after the last contact, the page is exhausted');
  const { rows: [page] } = await pool.query<{ state: string }>('SELECT state FROM inbox.pages WHERE task_id = $1', [taskId]);
  assert.equal(page?.state, 'exhausted');

  for (const p of pagesOf(taskId)) {
    assert.equal(p.signature, `sha256=${createHmac('sha256', SECRET).update(p.body).digest('hex')}`, 'signed over the exact body');
    const body = JSON.parse(p.body) as Record<string, unknown>;
    assert.equal(body['patientId'], a.patientId);
    assert.equal(body['category'], 'stroke');
    assert.equal(p.delivery, `${taskId}:${String(body['attempt'])}`);
  }
});

test('an acknowledged page goes to nobody else; a failing endpoint passes the page to the next contact at once', async () => {
  const acked = action(tenant.patients[1]?.id ?? '', 'escalate', { priority: 'urgent', reason: 'emergency' });
  await intake(intakeDeps, acked, silentLogger);
  const ackedId = (await pool.query<{ id: string }>('SELECT id FROM inbox.tasks WHERE source_action_id = $1', [acked.actionId])).rows[0]?.id ?? '';
  const t0 = Date.now();
  await pager.round(t0);
  await tasks.acknowledge(tenant.organizationId, ackedId, 'staff-on-call', t0 + 500);
  await pager.round(t0 + 5 * ACK_MS);
  assert.deepEqual(pagesOf(ackedId).map((p) => p.contact), ['nurse-a']);
  assert.equal((await tasks.get(tenant.organizationId, ackedId)).acknowledgedBy, 'staff-on-call');

  broken.add('nurse-a');
  try {
    const failing = action(tenant.patients[1]?.id ?? '', 'escalate', { priority: 'urgent', reason: 'emergency' });
    await intake(intakeDeps, failing, silentLogger);
    const failingId = (await pool.query<{ id: string }>('SELECT id FROM inbox.tasks WHERE source_action_id = $1', [failing.actionId])).rows[0]?.id ?? '';
    const t1 = Date.now();
    await pager.round(t1);
    await pager.round(t1);
    assert.deepEqual(pagesOf(failingId).map((p) => p.contact), ['nurse-a', 'nurse-b'], 'the broken endpoint does not delay the emergency by an ack window');
    const { rows } = await pool.query<{ contact_id: string; http_status: number; error_code: string | null }>('SELECT contact_id, http_status, error_code FROM inbox.page_deliveries WHERE task_id = $1 ORDER BY attempt', [failingId]);
    assert.deepEqual(rows, [{ contact_id: 'nurse-a', http_status: 500, error_code: 'http_status' }, { contact_id: 'nurse-b', http_status: 202, error_code: null }]);
  } finally {
    broken.delete('nurse-a');
  }
  const text = await metrics.registry.getSingleMetricAsString('careloop_inbox_pages_total');
  assert.match(text, /outcome="failed"} 1/);
});

test('a handoff holds the conversation and tells the patient roughly when, once; two staff claiming at once: one wins; resolving releases', async () => {
  const patientId = tenant.patients[2]?.id ?? '';
  const a = action(patientId, 'handoff', { reason: 'patient_request', channel: 'WEB', language: 'es' });
  await intake(intakeDeps, a, silentLogger);
  await intake(intakeDeps, a, silentLogger);
  const hold = await intakeDeps.holds.get(patientId);
  assert.equal(hold?.taskIds.length, 1);
  const taskId = hold?.taskIds[0] ?? '';
  assert.equal(hold?.dueAt, a.occurredAt + 3_600_000, 'high priority: the built-in hour');

  const catalogue = await deps.catalogue();
  const keyring = await deps.keyring();
  const out = await Promise.all((await readTopicToEnd(cfg.kafka, `${cfg.kafka.topicPrefix}chat.outbound`)).map((r) => catalogue.decode<OutboundMessage>(r.value)));
  const notices = out.filter((o) => o.patientId === patientId);
  assert.equal(new Set(notices.map((n) => n.messageId)).size, 1, 'a replay re-sends the same notice id, which delivery queues once');
  const text = (JSON.parse(await keyring.openText(tenant.organizationId, patientId, notices[0]?.content ?? { keyId: '', nonce: Buffer.alloc(0), ciphertext: Buffer.alloc(0) })) as { text: string }).text;
  assert.match(text, /le responderá aquí en aproximadamente 60 minutos/);
  assert.match(text, /llame al 112/);
  assert.equal(notices[0]?.kind, 'SYSTEM');

  const claims = await Promise.allSettled([tasks.claim(tenant.organizationId, taskId, 'nurse-x', Date.now()), tasks.claim(tenant.organizationId, taskId, 'nurse-y', Date.now())]);
  assert.equal(claims.filter((c) => c.status === 'fulfilled').length, 1, 'exactly one claim wins');
  assert.match(String((claims.find((c) => c.status === 'rejected') as PromiseRejectedResult).reason), /claimed by someone else/);

  const resolved = await tasks.resolve(tenant.organizationId, taskId, 'nurse-x', 'resolved', Date.now());
  assert.equal(resolved.status, 'resolved');
  await assert.rejects(tasks.resolve(tenant.organizationId, taskId, 'nurse-x', 'resolved', Date.now()), /already resolved/);
  await intake(intakeDeps, a, silentLogger);
  assert.equal((await intakeDeps.holds.get(patientId))?.taskIds.includes(taskId), true, 'the store leaves the hold to its caller (the API releases it)');
  await intakeDeps.holds.release(patientId, taskId);
  await intake(intakeDeps, a, silentLogger);
  assert.equal(await intakeDeps.holds.get(patientId), null, 'a replay of a resolved handoff holds nothing again');
});

test('overdue tasks are counted by priority; listing filters and pages', async () => {
  const patientId = tenant.patients[3]?.id ?? '';
  const long = Date.now() - 10 * 86_400_000;
  await intake(intakeDeps, action(patientId, 'escalate', { priority: 'low', reason: 'missed_doses' }, long), silentLogger);
  await intake(intakeDeps, action(patientId, 'escalate', { reason: 'booking_failed' }), silentLogger);
  const counts = await tasks.overdueCounts(Date.now());
  assert.ok(counts.low >= 1);
  const overdue = await tasks.list(tenant.organizationId, { overdue: true, patientId, limit: 10 }, Date.now());
  assert.deepEqual(overdue.tasks.map((t) => t.reason), ['missed_doses']);
  const all = await tasks.list(tenant.organizationId, { limit: 2 }, Date.now());
  assert.equal(all.tasks.length, 2);
  assert.equal(all.tasks[0]?.priority, 'urgent', 'most urgent first');
  const rest = await tasks.list(tenant.organizationId, { limit: 50, after: all.next ?? '' }, Date.now());
  const ids = [...all.tasks, ...rest.tasks].map((t) => t.id);
  assert.equal(new Set(ids).size, ids.length, 'pages do not overlap');
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM inbox.tasks WHERE organization_id = $1', [tenant.organizationId]);
  assert.equal(ids.length, Number(rows[0]?.n), 'and together they hold every task');
});
