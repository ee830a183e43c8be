import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { issueSessionToken, verifySessionToken } from '../../platform/auth/session-tokens.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildGatewayApp } from './app.js';
import { ChatGateway } from './gateway.js';
import { RateLimiter } from '../../platform/stores/rate-limit.js';

const cfg = testConfig({ 'verification.maxFailures': '3' });
const deps = new Dependencies(cfg, silentLogger);
const secret = randomBytes(32);
const sent: Array<{ patientId: string; code: string }> = [];
let app: FastifyInstance;
const org = uniqueId('org_');
const otherOrg = uniqueId('org_');
let patientId = '';
const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

before(async () => {
  const [pool, security, redis] = [await deps.postgres(), await deps.security(), await deps.redis()];
  const limiter = new RateLimiter(redis, { capacity: 2, refillPerSecond: 0.001 });
  for (const id of [org, otherOrg]) await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'Verify Clinic')`, [id]);
  patientId = (await security.vault.createPatient({ kind: 'system', id: 'test' }, org, { givenName: 'Grace', phone, birthDate: '1960-02-03' }, 'operations')).patientId;
  const chat = new ChatGateway({ instanceId: 'gw-test', log: silentLogger, outbox: null as never, routes: null as never, now: Date.now, allow: async () => true, accept: async () => 'accepted', openReply: async () => ({ text: '', quickReplies: [] }) });
  app = await buildGatewayApp({
    log: silentLogger, gateway: chat, maxFrameBytes: 4096, verifyToken: (t) => verifySessionToken(t, secret), ipLimiter: null,
    verify: {
      verifier: security.verifier,
      issueToken: async (o, p) => ({ token: await issueSessionToken({ organizationId: o, patientId: p, ttlMs: 60_000 }, secret), expiresAt: new Date().toISOString() }),
      sendCode: async (_o, p, code) => { sent.push({ patientId: p, code }); },
      allowCodeRequest: async (o, ph) => limiter.take(`sms-test:${o}:${ph}`),
    },
  });
});
after(async () => { await app.close(); await deps.close(); });

const post = (url: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url, payload });

describe('identity verification before a chat', () => {
  test('phone and date of birth give a session token bound to the patient; a wrong date does not', async () => {
    const sessionId = randomUUID();
    const wrong = await post('/v1/verify/birth-date', { organizationId: org, sessionId, phone, birthDate: '1960-02-04' });
    assert.equal(wrong.statusCode, 401);
    assert.equal((wrong.json() as { code: string }).code, 'VERIFICATION_FAILED');
    const ok = await post('/v1/verify/birth-date', { organizationId: org, sessionId, phone: phone.replace('+1', '(1) '), birthDate: '1960-02-03' });
    assert.equal(ok.statusCode, 200, ok.body);
    const body = ok.json() as { token: string; patientId: string };
    assert.equal(body.patientId, patientId);
    assert.deepEqual(await verifySessionToken(body.token, secret).then((c) => [c.organizationId, c.patientId]), [org, patientId]);
  });

  test('the same details under another organisation match nobody', async () => {
    const res = await post('/v1/verify/birth-date', { organizationId: otherOrg, sessionId: randomUUID(), phone, birthDate: '1960-02-03' });
    assert.equal(res.statusCode, 401);
  });

  test('after the failure limit the session is locked out, even with the right details', async () => {
    const sessionId = randomUUID();
    const other = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    for (let i = 0; i < 3; i++) assert.equal((await post('/v1/verify/birth-date', { organizationId: org, sessionId, phone: other, birthDate: '1999-01-01' })).statusCode, 401);
    const locked = await post('/v1/verify/birth-date', { organizationId: org, sessionId, phone, birthDate: '1960-02-03' });
    assert.equal(locked.statusCode, 429);
    assert.equal((locked.json() as { code: string }).code, 'LOCKED_OUT');
  });

  test('a one-time code goes to the phone on file; the right code gives a token once; unknown phones get the same answer', async () => {
    const sessionId = randomUUID();
    const unknown = await post('/v1/verify/code', { organizationId: org, sessionId: randomUUID(), phone: '+15550000001' });
    const known = await post('/v1/verify/code', { organizationId: org, sessionId, phone });
    assert.deepEqual([unknown.statusCode, unknown.body], [known.statusCode, known.body], 'no enumeration');
    const code = sent.find((s) => s.patientId === patientId)?.code;
    assert.match(code ?? '', /^\d{6}$/);
    const ok = await post('/v1/verify/code/check', { organizationId: org, sessionId, code: code as string });
    assert.equal(ok.statusCode, 200, ok.body);
    const again = await post('/v1/verify/code/check', { organizationId: org, sessionId, code: code as string });
    assert.equal(again.statusCode, 401, 'a code works once');
    assert.equal((await post('/v1/verify/code', { organizationId: org, sessionId: randomUUID(), phone })).statusCode, 202, 'a second code is fine');
    const flood = await post('/v1/verify/code', { organizationId: org, sessionId: randomUUID(), phone });
    assert.equal(flood.statusCode, 429, 'a third code for the same number within the window is refused, whatever the session');
  });

  test('bad bodies are refused with 400 and the gateway publishes its OpenAPI document', async () => {
    for (const body of [{ organizationId: org }, { organizationId: org, sessionId: 'short', phone, birthDate: '1960-02-03' }, { organizationId: org, sessionId: randomUUID(), phone, birthDate: '1960-02-03', extra: 1 }]) {
      const res = await post('/v1/verify/birth-date', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal((res.json() as { code: string }).code, 'VALIDATION_FAILED');
    }
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/v1/chat', '/v1/session', '/v1/verify/birth-date', '/v1/verify/code', '/v1/verify/code/check', '/v1/version']);
  });
});
