import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { prepare } from '../platform/bootstrap.js';
import { createPgPool, type PgPool } from '../platform/storage/postgres.js';
import { ChatClient, type ServerFrame } from './chat-client.js';
import { eventually, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess, seedTenant, type TestTenant } from './product.js';

// The care-team inbox through the whole product: chat in through the gateway, tasks and pages out,
// staff through the API with OIDC tokens of a local identity provider, on-call contacts as a local
// webhook receiver.
const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const ISSUER = 'https://idp.careloop.test/';
const SECRET_VAR = `ONCALL_SECRET_${uniqueId('').toUpperCase()}`;
const SECRET = 'e2e-on-call-webhook-secret-0123456789';
const ACK_MS = 3_000;
let key: CryptoKey;
let product: ProductProcess;
let tenant: TestTenant;
let gatewayUrl = '';
let apiUrl = '';
let opsUrl = '';
let pool: PgPool;
let receiver: Server;
const pages: Array<{ at: number; contact: string; body: Record<string, unknown>; valid: boolean }> = [];

function staff(role: string, sub: string, organizationId = tenant.organizationId): Promise<string> {
  return new SignJWT({ org_id: organizationId, role }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(sub)
    .setIssuer(ISSUER).setAudience('careloop-admin').setIssuedAt().setExpirationTime('10m').sign(key);
}

async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${apiUrl}/v1/organizations/${tenant.organizationId}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

interface TaskJson { id: string; kind: string; priority: string; reason: string; category: string | null; status: string; message?: string | null }

before(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const jwksFile = join(mkdtempSync(join(tmpdir(), 'careloop-jwks-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      const valid = req.headers['x-careloop-signature'] === `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      pages.push({ at: Date.now(), contact: req.url?.slice(1) ?? '', body: JSON.parse(raw) as Record<string, unknown>, valid });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  const hook = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  const [gatewayPort, apiPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  gatewayUrl = `ws://127.0.0.1:${gatewayPort}/v1/chat`;
  apiUrl = `http://127.0.0.1:${apiPort}`;
  opsUrl = `http://127.0.0.1:${opsPort}`;
  await prepare(cfg);
  tenant = await seedTenant(cfg, 3);
  pool = createPgPool({ ...cfg.postgres, poolMax: 2, applicationName: 'careloop-test-inbox' });
  product = await ProductProcess.start(['gateway', 'delivery-ws', 'intent', 'dialogue', 'actions', 'scheduler', 'api'], {
    ...process.env, [SECRET_VAR]: SECRET,
    CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_GATEWAY_PORT: String(gatewayPort), CARELOOP_SERVICES_API_PORT: String(apiPort), CARELOOP_SERVICES_OPS_PORT: String(opsPort),
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s', CARELOOP_LOG_LEVEL: 'warn', CARELOOP_AUDIT_ANCHOR_INTERVAL: '0s', CARELOOP_INBOX_OVERDUE_INTERVAL: '1s',
    CARELOOP_AUTH_STAFF_ISSUER: ISSUER, CARELOOP_AUTH_STAFF_JWKS_FILE: jwksFile, CARELOOP_AUTH_STAFF_AUDIENCE: 'careloop-admin',
  });
  const admin = await staff('org_admin', 'admin-1');
  const pasted = await api<{ code: string }>('PUT', '/inbox/settings', admin, { sla: {}, webhookSecretRef: SECRET, ackTimeoutMs: null, contacts: [] });
  assert.deepEqual([pasted.status, pasted.json.code], [400, 'VALIDATION_FAILED'], 'a secret pasted where its reference goes is refused');
  assert.equal((await api('PUT', '/inbox/settings', await staff('care_team', 'nurse-z'), { sla: {}, webhookSecretRef: '', ackTimeoutMs: null, contacts: [] })).status, 403, 'the care team does not page itself');
  const put = await api('PUT', '/inbox/settings', admin, {
    sla: { high: 20 * 60_000, urgent: 2_000 }, webhookSecretRef: `env:${SECRET_VAR}`, ackTimeoutMs: ACK_MS,
    contacts: [{ id: 'nurse-a', url: `${hook}/nurse-a` }, { id: 'nurse-b', url: `${hook}/nurse-b` }, { id: 'nurse-c', url: `${hook}/nurse-c` }],
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
});

after(async () => {
  await product?.stop();
  receiver?.close();
  await pool?.end();
  await cleanupRun(cfg);
});

const messages = (c: ChatClient): ServerFrame[] => c.frames.filter((f) => f.type === 'message');
async function connect(patient: number): Promise<ChatClient> {
  const c = await ChatClient.connect(gatewayUrl, tenant.patients[patient]?.token ?? '');
  const id = c.send('hello');
  await c.waitFor('the warm-up reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 60_000);
  return c;
}
async function replyTo(c: ChatClient, text: string, timeoutMs = 15_000): Promise<ServerFrame> {
  const id = c.send(text);
  await c.waitFor(`a reply to "${text}"`, (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), timeoutMs);
  return c.frames.find((f) => f.type === 'message' && f.replyTo === id) as ServerFrame;
}

test(`an emergency in the chat: an urgent task and a signed on-call page within 5 s; unacknowledged, the next contact after ${ACK_MS} ms; acknowledged, nobody else; overdue, the metric shows it`, async (t) => {
  const c = await connect(0);
  try {
    const sent = Date.now();
    const safety = await replyTo(c, 'I have crushing chest pain and my left arm is numb');
    assert.match(safety.text ?? '', /112/, 'the safety reply comes first');
    const first = await eventually(async () => pages.find((p) => p.body['patientId'] === tenant.patients[0]?.id), 5_000, 'the on-call page');
    const pageMs = first.at - sent;
    assert.ok(pageMs < 5_000, `paged ${pageMs} ms after the message`);
    assert.equal(first.contact, 'nurse-a');
    assert.equal(first.valid, true, 'signed with the organisation\'s secret');
    assert.deepEqual([first.body['priority'], first.body['reason'], first.body['category']], ['urgent', 'emergency', 'cardiac']);
    assert.ok(!JSON.stringify(first.body).includes('chest'), 'the patient\'s words never leave in a page');

    const nurse = await staff('care_team', 'nurse-b');
    const listed = await api<{ tasks: TaskJson[] }>('GET', `/tasks?priority=urgent&patientId=${tenant.patients[0]?.id ?? ''}`, nurse);
    assert.equal(listed.json.tasks.length, 1);
    assert.equal(listed.json.tasks[0]?.id, first.body['taskId']);

    const second = await eventually(async () => pages.find((p) => p.body['taskId'] === first.body['taskId'] && p.contact === 'nurse-b'), ACK_MS + 5_000, 'the second contact');
    const gap = second.at - first.at;
    assert.ok(gap >= ACK_MS, `the next contact only after the ack window (${gap} ms)`);
    const ack = await api<TaskJson>('POST', `/tasks/${String(first.body['taskId'])}/ack`, nurse);
    assert.equal(ack.status, 200);
    await new Promise((r) => setTimeout(r, ACK_MS + 1_500));
    assert.deepEqual(pages.filter((p) => p.body['taskId'] === first.body['taskId']).map((p) => p.contact), ['nurse-a', 'nurse-b'], 'nurse-c is never paged');
    // The organisation's urgent SLA here is 2 s: the task, unresolved, is overdue by now.
    const overdue = await eventually(async () => {
      const text = await (await fetch(`${opsUrl}/metrics`)).text();
      const m = /careloop_inbox_tasks_overdue\{priority="urgent"\} (\d+)/.exec(text);
      return m !== null && Number(m[1]) >= 1 ? Number(m[1]) : undefined;
    }, 10_000, 'the overdue metric');
    t.diagnostic(`emergency → first page ${pageMs} ms; second contact ${gap} ms later (ack window ${ACK_MS} ms); overdue urgent tasks ${overdue}`);
  } finally {
    c.ws.close();
  }
});

test('handoff: "I want to talk to a nurse" creates a task; the bot stays quiet but for an emergency; the care team\'s reply reaches the socket; resolution resumes the bot', async (t) => {
  const c = await connect(1);
  const patientId = tenant.patients[1]?.id ?? '';
  try {
    const before = messages(c).length;
    await replyTo(c, 'I want to talk to a nurse');
    await c.waitFor('the hold notice', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === null && /within about 20 minutes/.test(f.text ?? '')));
    const nurse = await staff('care_team', 'nurse-joy');
    const listed = await eventually(async () => {
      const r = await api<{ tasks: TaskJson[] }>('GET', `/tasks?kind=handoff&status=open&patientId=${patientId}`, nurse);
      return r.json.tasks.length > 0 ? r.json.tasks : undefined;
    }, 10_000, 'the handoff task');
    assert.equal(listed.length, 1);
    const task = listed[0] as TaskJson;
    assert.deepEqual([task.priority, task.reason], ['high', 'patient_request']);
    const detail = await api<TaskJson>('GET', `/tasks/${task.id}`, nurse);
    assert.equal(detail.json.message, 'I want to talk to a nurse');
    const audited = await pool.query<{ action: string; actor_id: string; fields: string[] }>(
      `SELECT action, actor_id, fields FROM audit.events WHERE organization_id = $1 AND patient_id = $2 AND action LIKE 'inbox.%' ORDER BY seq`, [tenant.organizationId, patientId]);
    assert.deepEqual(audited.rows.map((r) => [r.action, r.actor_id]), [['inbox.tasks.list', 'nurse-joy'], ['inbox.task.read', 'nurse-joy']]);
    assert.deepEqual(audited.rows[1]?.fields, ['message']);
    const partner = await staff('partner', 'partner-1');
    assert.equal((await api('GET', `/tasks/${task.id}`, partner)).status, 403, 'a partner sees no task');
    const otherOrg = uniqueId('org_');
    const foreign = await fetch(`${apiUrl}/v1/organizations/${otherOrg}/tasks/${task.id}`, { headers: { authorization: `Bearer ${await staff('care_team', 'nurse-elsewhere', otherOrg)}` } });
    assert.equal(foreign.status, 404, 'another organisation\'s care team does not find the task under its own organisation');

    // Held: an ordinary message is stored (acked) and answered by nobody but the care team.
    const quietId = c.send('are you still there? what are your opening hours?');
    await c.waitFor('the ack', (fs) => fs.some((f) => f.type === 'ack' && f.id === quietId));
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(messages(c).filter((f) => f.replyTo === quietId).length, 0, 'the bot stays quiet while held');
    const context = await eventually(async () => {
      const r = await api<{ messages: Array<{ from: string; text: string }> }>('GET', `/tasks/${task.id}/conversation`, nurse);
      return r.json.messages.some((m) => m.from === 'patient' && m.text.includes('opening hours')) ? r.json.messages : undefined;
    }, 10_000, 'the held message in the conversation the nurse reads');
    assert.ok(context.some((m) => m.from === 'assistant' && /within about 20 minutes/.test(m.text)), 'with the hold notice the patient saw');

    const claim = await api<TaskJson>('POST', `/tasks/${task.id}/claim`, nurse);
    assert.equal(claim.status, 200);
    assert.equal((await api('POST', `/tasks/${task.id}/claim`, await staff('care_team', 'nurse-other'))).status, 409, 'one claim wins');
    const sentAt = Date.now();
    const posted = await api<{ messageId: string }>('POST', `/tasks/${task.id}/replies`, nurse, { text: 'Hello, this is Joy from the care team. How can I help?' });
    assert.equal(posted.status, 202);
    await c.waitFor('the care team\'s reply', (fs) => fs.some((f) => f.type === 'message' && f.text === 'Hello, this is Joy from the care team. How can I help?'));
    const replyMs = Date.now() - sentAt;

    const safety = await replyTo(c, 'I have crushing chest pain and my left arm is numb');
    assert.match(safety.text ?? '', /112/, 'an emergency still gets the safety reply while held');

    const resolved = await api<TaskJson>('POST', `/tasks/${task.id}/resolve`, nurse, { outcome: 'resolved' });
    assert.equal(resolved.json.status, 'resolved');
    assert.equal((await api('POST', `/tasks/${task.id}/replies`, nurse, { text: 'one more thing' })).status, 409, 'no reply on a resolved task');
    await c.waitFor('the resumed notice', (fs) => fs.some((f) => f.type === 'message' && /I am here again/.test(f.text ?? '')));
    const greeting = await replyTo(c, 'hello');
    assert.ok((greeting.text ?? '') !== '', 'the bot answers again after resolution');
    assert.ok(messages(c).length > before);
    t.diagnostic(`care-team reply reached the socket ${replyMs} ms after the API call began`);
  } finally {
    c.ws.close();
  }
});
