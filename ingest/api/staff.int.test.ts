import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Dependencies } from '../../platform/service/dependencies.js';
import { RateLimiter } from '../../platform/stores/rate-limit.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildApiApp } from './app.js';

const ISSUER = 'https://idp.careloop.test/';
let key: CryptoKey;
let deps: Dependencies;
let app: FastifyInstance;
const org = uniqueId('org_');
let patientId = '';

before(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const jwksFile = join(mkdtempSync(join(tmpdir(), 'careloop-jwks-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  const cfg = testConfig({ 'auth.staffIssuer': ISSUER, 'auth.staffJwksFile': jwksFile, 'auth.staffAudience': 'careloop-admin' });
  deps = new Dependencies(cfg, silentLogger);
  const [pool, security, redis] = [await deps.postgres(), await deps.security(), await deps.redis()];
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'Staff Clinic')`, [org]);
  patientId = (await security.vault.createPatient({ kind: 'system', id: 'test' }, org, { givenName: 'Ada', phone: '+15550109876' }, 'operations')).patientId;
  await pool.query('INSERT INTO patients (id, organization_id) VALUES ($1, $2)', [patientId, org]);
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, security, pool, sessionSecret: randomBytes(32), sessionTtlMs: 60_000, now: () => new Date(),
    authenticate: (h) => security.authenticator.authenticate(h), forgetConversation: async () => undefined,
    limiter: new RateLimiter(redis, { capacity: 5, refillPerSecond: 0.001 }),
  });
});
after(async () => { await app.close(); await deps.close(); });

function staff(role: string, organization = org, sub = uniqueId('staff-')): Promise<string> {
  return new SignJWT({ org_id: organization, role }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(sub)
    .setIssuer(ISSUER).setAudience('careloop-admin').setIssuedAt().setExpirationTime('10m').sign(key);
}

// Each call from its own address, so the per-IP bucket never decides these tests.
let host = 0;
const get = async (url: string, token: string, ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(host / 250)}.${(host++ % 250) + 1}`) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` }, remoteAddress: ip });

test('staff OIDC tokens from the configured JWKS: the role decides PHI access, the organisation claim decides tenancy', async () => {
  const url = `/v1/organizations/${org}/patients/${patientId}`;
  assert.equal((await get(url, await staff('care_team'))).statusCode, 200, 'care team reads the identity');
  assert.equal((await get(url, await staff('partner'))).statusCode, 403, 'a partner reads no PHI');
  assert.equal((await get(url, await staff('care_team', uniqueId('org_')))).statusCode, 403, 'another organisation\'s staff is refused');
  const unknownRole = await get(url, await staff('janitor'));
  assert.equal(unknownRole.statusCode, 403);
  const forged = (await staff('org_admin')).slice(0, -6) + 'AAAAAA';
  assert.equal((await get(url, forged)).statusCode, 401);
});

test('each credential has its own token bucket: over the burst it gets 429 with Retry-After', async () => {
  const token = await staff('care_team', org, uniqueId('busy-staff-'));
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push((await get(`/v1/organizations/${org}`, token)).statusCode);
  assert.deepEqual(codes.slice(0, 5), [200, 200, 200, 200, 200]);
  assert.deepEqual(codes.slice(5), [429, 429]);
  const ip = `10.250.${Math.floor(Math.random() * 250)}.1`;
  const byIp: number[] = [];
  for (let i = 0; i < 7; i++) byIp.push((await get(`/v1/organizations/${org}`, await staff('care_team'), ip)).statusCode);
  assert.deepEqual(byIp, [200, 200, 200, 200, 200, 429, 429], 'and each address has one too, whatever credentials it uses');
  const res = await get(`/v1/organizations/${org}`, token);
  assert.equal(res.headers['retry-after'], '1');
  assert.equal((res.json() as { code: string }).code, 'RATE_LIMITED');
});
