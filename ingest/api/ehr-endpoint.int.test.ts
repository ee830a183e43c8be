import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { Security } from '../../platform/service/security.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { EhrEndpointStore } from '../../platform/stores/ehr-endpoints.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildApiApp } from './app.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
let app: FastifyInstance;
let pool: PgPool;
let security: Security;
let store: EhrEndpointStore;

before(async () => {
  [pool, security] = [await deps.postgres(), await deps.security()];
  store = new EhrEndpointStore(pool, await deps.keyring());
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, limiter: null, authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret: randomBytes(32), sessionTtlMs: 60_000, now: () => new Date(), forgetConversation: async () => undefined, ehrEndpoints: store,
  });
});
after(async () => { await app.close(); await deps.close(); });

test('an organisation sets its EHR endpoint: the secret is sealed at rest and never shown back; only an admin may, only for its own organisation', async () => {
  const org = uniqueId('org_');
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'EHR Clinic')`, [org]);
  const admin = (await security.apiKeys.create(org, 'org_admin', 'test admin')).token;
  const analyst = (await security.apiKeys.create(org, 'analyst', 'test analyst')).token;
  const url = `/v1/organizations/${org}/ehr-endpoint`;
  const token = `CANARY-${uniqueId()}`;
  const put = await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${admin}` }, payload: { baseUrl: 'https://ehr.example/fhir/R4', auth: { kind: 'bearer', token } } });
  assert.equal(put.statusCode, 200, put.body);
  assert.deepEqual(put.json(), { baseUrl: 'https://ehr.example/fhir/R4', authKind: 'bearer', clientId: null, tokenUrl: null });
  assert.ok(!put.body.includes(token));
  const raw = await pool.query<{ secret_sealed: Buffer }>('SELECT secret_sealed FROM booking.ehr_endpoints WHERE organization_id = $1', [org]);
  assert.ok(!raw.rows[0]?.secret_sealed.toString('latin1').includes(token), 'sealed, not plain');
  assert.deepEqual((await store.get(org))?.auth, { kind: 'bearer', token });

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const smart = await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${admin}` }, payload: { baseUrl: 'https://ehr.example/fhir/R4', auth: { kind: 'smart_backend', clientId: 'careloop', tokenUrl: 'https://ehr.example/token', kid: 'k1', privateKeyPem: pem } } });
  assert.equal(smart.statusCode, 200, smart.body);
  const got = await store.get(org);
  assert.equal(got?.auth.kind === 'smart_backend' ? got.auth.privateKeyPem : '', pem);

  assert.equal((await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${analyst}` }, payload: { baseUrl: 'https://x.example', auth: { kind: 'none' } } })).statusCode, 403);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/organizations/org_other/ehr-endpoint', headers: { authorization: `Bearer ${admin}` } })).statusCode, 403);
  assert.equal((await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${admin}` }, payload: { baseUrl: 'ftp://x.example', auth: { kind: 'none' } } })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin}` } })).json<{ authKind: string }>().authKind, 'smart_backend');
});
