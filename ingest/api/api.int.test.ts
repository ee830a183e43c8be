import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { Security } from '../../platform/service/security.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { verifySessionToken } from '../../platform/auth/session-tokens.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { buildApiApp } from './app.js';
import { CampaignStore } from '../../platform/campaigns/store.js';
import { Tenants } from '../../platform/tenants/organizations.js';
import { WorkflowRepository } from '../../platform/workflow/repository.js';
import { defaultCatalog } from '../../platform/workflow/catalog.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
let app: FastifyInstance;
let pool: PgPool;
let security: Security;
// The API's clock: fixed, so a session token's expiry is checked to the second.
const NOW = new Date('2031-05-01T12:00:00.000Z');
const sessionSecret = randomBytes(32);
const orgs: Array<{ id: string; admin: string; analyst: string; patientId: string }> = [];

async function makeOrg(): Promise<(typeof orgs)[number]> {
  const id = uniqueId('org_');
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'Tenancy Clinic')`, [id]);
  const admin = (await security.apiKeys.create(id, 'org_admin', 'test admin')).token;
  const analyst = (await security.apiKeys.create(id, 'analyst', 'test analyst')).token;
  const res = await app.inject({ method: 'POST', url: `/v1/organizations/${id}/patients`, headers: { authorization: `Bearer ${admin}` },
    payload: { identity: { givenName: 'CANARY-Ada', familyName: 'Lovelace', phone: '+1 555 010 9999', birthDate: '1980-12-10' }, preferredLanguage: 'en', medications: [{ name: 'Metformin', dose: '500 mg', times: ['08:00'] }] } });
  assert.equal(res.statusCode, 201, res.body);
  return { id, admin, analyst, patientId: (res.json() as { patientId: string }).patientId };
}

before(async () => {
  [pool, security] = [await deps.postgres(), await deps.security()];
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, limiter: null,
    authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret, sessionTtlMs: 60_000, now: () => NOW, forgetConversation: async () => undefined,
    // Tenants, partners, campaigns and consents: their routes are in the tenancy sweeps below too.
    campaigns: {
      tenants: new Tenants(pool, security.apiKeys, () => NOW.getTime()), campaigns: new CampaignStore(pool, () => NOW.getTime()), audit: security.audit, now: () => NOW.getTime(),
      reports: { pool, responded: async () => new Set<string>() },
    },
    workflows: { repo: new WorkflowRepository(pool), publisher: await deps.publisher(), now: () => NOW, catalogFor: async () => defaultCatalog() },
  });
  orgs.push(await makeOrg(), await makeOrg());
});
after(async () => { await app.close(); await deps.close(); });

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('admin API', () => {
  test('every route but /v1/version and the documents needs credentials; the document lists each with bearer security', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { security?: unknown[] }>>; security: unknown[] };
    assert.ok(Object.keys(doc.paths).length >= 7);
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    const version = await app.inject({ method: 'GET', url: '/v1/version' });
    assert.deepEqual([version.statusCode, doc.paths['/v1/version']?.['get']?.security], [200, []], '/v1/version is public and documented so');
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (path === '/v1/version') continue;
      for (const method of Object.keys(methods)) {
        const url = path.replace('{organizationId}', orgs[0]?.id ?? '').replace(/\{\w+\}/g, 'x');
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url, payload: method === 'get' || method === 'delete' ? undefined : {} });
        assert.equal(res.statusCode, 401, `${method} ${path}`);
        assert.equal((res.json() as { code: string }).code, 'UNAUTHENTICATED');
      }
    }
  });

  test('a patient is enrolled into the vault, read back (audited) and erased (crypto-shredded)', async () => {
    const o = orgs[0];
    assert.ok(o);
    const read = await app.inject({ method: 'GET', url: `/v1/organizations/${o.id}/patients/${o.patientId}`, headers: auth(o.admin) });
    assert.equal(read.statusCode, 200);
    const body = read.json() as { identity: { givenName: string; phone: string }; medications: Array<{ name: string }> };
    assert.equal(body.identity.givenName, 'CANARY-Ada');
    assert.equal(body.identity.phone, '+15550109999', 'stored normalised (E.164)');
    assert.equal(body.medications[0]?.name, 'Metformin');
    const list = await app.inject({ method: 'GET', url: `/v1/organizations/${o.id}/patients`, headers: auth(o.admin) });
    assert.deepEqual((list.json() as { patients: Array<{ id: string }> }).patients.map((p) => p.id), [o.patientId]);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/organizations/${o.id}/patients/${o.patientId}`, headers: auth(o.analyst) })).statusCode, 403, 'an analyst reads no PHI');
    const audit = await app.inject({ method: 'GET', url: `/v1/organizations/${o.id}/audit/verify`, headers: auth(o.admin) });
    assert.equal((audit.json() as { ok: boolean }).ok, true);
    assert.ok((audit.json() as { rows: number }).rows >= 2, 'the enrolment and the read were audited');
  });

  test('a session token expires at the injected clock plus the session ttl, as the response says', async () => {
    const o = orgs[0];
    assert.ok(o);
    const res = await app.inject({ method: 'POST', url: `/v1/organizations/${o.id}/patients/${o.patientId}/session-tokens`, headers: auth(o.admin) });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json() as { token: string; expiresAt: string };
    assert.equal(body.expiresAt, '2031-05-01T12:01:00.000Z');
    const claims = await verifySessionToken(body.token, sessionSecret, NOW);
    assert.deepEqual([claims.organizationId, claims.patientId, claims.expiresAt.toISOString()], [o.id, o.patientId, body.expiresAt]);
  });

  test('bad input gets 400 with a stable code; unknown fields are rejected; bodies are bounded', async () => {
    const o = orgs[0];
    assert.ok(o);
    const post = (payload: unknown) => app.inject({ method: 'POST', url: `/v1/organizations/${o.id}/patients`, headers: auth(o.admin), payload: payload as Record<string, unknown> });
    for (const bad of [{ identity: { givenName: 'A', shoeSize: 9 } }, { identity: { birthDate: '10/12/1980' } }, { identity: {}, preferredLanguage: 'fr' }, { identity: {}, extra: true }, { identity: {}, timezone: 'Mars/Olympus_Mons' }]) {
      const res = await post(bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal((res.json() as { code: string }).code, 'VALIDATION_FAILED');
    }
    const big = await post({ identity: { givenName: 'x'.repeat(20_000) } });
    assert.equal(big.statusCode, 413);
    const notJson = await app.inject({ method: 'POST', url: `/v1/organizations/${o.id}/patients`, headers: { ...auth(o.admin), 'content-type': 'application/json' }, payload: '{nope' });
    assert.equal(notJson.statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/nothing', headers: auth(o.admin) })).statusCode, 404);
  });

  test('workflow version numbers beyond a PostgreSQL integer are a 400, not a database error (found by the API fuzzer)', async () => {
    const o = orgs[0];
    assert.ok(o);
    const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => app.inject({ method, url: `/v1/organizations/${o.id}/workflows${url}`, headers: auth(o.admin), ...(payload ? { payload } : {}) });
    for (const res of [
      await call('GET', '/refill-reminder/versions/140700663723950576'),
      await call('GET', '/refill-reminder/diff?from=1&to=4642656096'),
      await call('POST', '/refill-reminder/rollback', { version: 4398046511105 }),
    ]) {
      assert.equal(res.statusCode, 400, res.body);
      assert.equal((res.json() as { code: string }).code, 'VALIDATION_FAILED');
    }
    // The largest integer is a valid question with no answer.
    assert.equal((await call('GET', '/refill-reminder/versions/2147483647')).statusCode, 404);
  });

  test('the organisation\'s safety settings: defaults, an admin changes them, an analyst may not, bad values are refused', async () => {
    const o = orgs[0];
    assert.ok(o);
    const url = `/v1/organizations/${o.id}`;
    const before = (await app.inject({ method: 'GET', url, headers: auth(o.admin) })).json() as Record<string, unknown>;
    assert.deepEqual([before['emergencyNumber'], before['crisisNumber'], before['poisonControlNumber'], before['careTeamContact']], ['911', '988', '1-800-222-1222', '']);
    const patch = { crisisNumber: '024', careTeamContact: 'Pharmacy desk, +1 555 0100', fallbackText: { en: 'Please call the clinic.' } };
    const changed = await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: patch });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual((changed.json() as Record<string, unknown>)['fallbackText'], { en: 'Please call the clinic.' });
    const after = (await app.inject({ method: 'GET', url, headers: auth(o.admin) })).json() as Record<string, unknown>;
    assert.equal(after['crisisNumber'], '024');
    assert.equal(after['careTeamContact'], 'Pharmacy desk, +1 555 0100');
    assert.equal((await app.inject({ method: 'PATCH', url, headers: auth(o.analyst), payload: patch })).statusCode, 403);
    const badZone = await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: { timezone: 'Mars/Olympus' } });
    assert.deepEqual([badZone.statusCode, (badZone.json() as { code: string }).code], [400, 'VALIDATION_FAILED']);
    assert.equal((await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: { emergencyNumbr: '1' } })).statusCode, 400, 'unknown keys are refused');
    assert.equal((await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: {} })).statusCode, 400, 'an empty change is refused');
    // A NUL character (PostgreSQL text cannot hold it) is bad input, not a server error (found by the fuzzer).
    const nul = await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: { fallbackText: { en: 'Sorry\u0000' } } });
    assert.deepEqual([nul.statusCode, (nul.json() as { code: string }).code], [400, 'VALIDATION_FAILED'], nul.body);
    assert.match((nul.json() as { message: string }).message, /fallbackText\.en.*U\+0000/);
    const nulQuery = await app.inject({ method: 'GET', url: `${url}?x=%00`, headers: auth(o.admin) });
    assert.deepEqual([nulQuery.statusCode, (nulQuery.json() as { message: string }).message], [400, 'query field x holds the NUL character (U+0000), which text may not contain']);
    // Languages and reminder delivery: set, read back, then quiet hours cleared; nonsense refused.
    assert.deepEqual(after['reminders'], { quietHours: null, dailyCap: 0, caregiverMissedThreshold: 3, sendTime: false });
    const delivery = await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: { languages: ['en', 'es'], reminders: { quietHours: { start: '21:30', end: '07:00' }, dailyCap: 3, sendTime: true } } });
    assert.equal(delivery.statusCode, 200, delivery.body);
    assert.deepEqual((delivery.json() as Record<string, unknown>)['reminders'], { quietHours: { start: '21:30', end: '07:00' }, dailyCap: 3, caregiverMissedThreshold: 3, sendTime: true });
    assert.deepEqual((delivery.json() as Record<string, unknown>)['languages'], ['en', 'es']);
    const { rows: [stored] } = await pool.query<{ routine: unknown; cap: number; send_time: unknown }>('SELECT reminder_routine AS routine, reminder_daily_cap AS cap, send_time FROM organizations WHERE id = $1', [o.id]);
    assert.deepEqual(stored, { routine: { quietHours: { start: '21:30', end: '07:00' } }, cap: 3, send_time: { enabled: true } }, 'stored where the reminder engine reads them');
    const cleared = await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: { reminders: { quietHours: null, sendTime: false } } });
    assert.deepEqual((cleared.json() as { reminders: unknown }).reminders, { quietHours: null, dailyCap: 3, caregiverMissedThreshold: 3, sendTime: false });
    for (const bad of [{ languages: ['fr'] }, { languages: [] }, { reminders: { quietHours: { start: '25:00', end: '07:00' } } }, { reminders: { quietHours: { start: '07:00', end: '07:00' } } }, { reminders: { dailyCap: -1 } }, { reminders: {} }]) {
      const refused: { statusCode: number; json(): unknown } = await app.inject({ method: 'PATCH', url, headers: auth(o.admin), payload: bad });
      assert.deepEqual([refused.statusCode, (refused.json() as { code: string }).code], [400, 'VALIDATION_FAILED'], JSON.stringify(bad));
    }
  });

  test('tenancy: every route called with one organisation\'s credentials on the other\'s ids is refused', async (t) => {
    const [a, b] = orgs;
    assert.ok(a && b);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const bodies: Record<string, unknown> = {
      '/v1/organizations/{organizationId}/patients': { identity: { givenName: 'X' } }, '/v1/organizations/{organizationId}/api-keys': { name: 'k', role: 'org_admin' },
      '/v1/organizations/{organizationId}': { crisisNumber: '000' },
      '/v1/organizations/{organizationId}/partners': { id: 'p1', displayName: 'P' },
      '/v1/organizations/{organizationId}/campaigns': { name: 'n', purpose: 'p1', workflowId: 'w', cohort: {}, period: { from: '2031-01-01', to: '2031-01-31' }, partnerIds: [] },
      '/v1/organizations/{organizationId}/patients/{patientId}/consents/{purpose}': { status: 'given', source: 'api' },
      '/v1/organizations/{organizationId}/workflows': { source: 'workflow "w"' }, '/v1/organizations/{organizationId}/workflows/validate': { source: 'workflow "w"' },
      '/v1/organizations/{organizationId}/workflows/simulate': { source: 'workflow "w"', script: { language: 'en', start: '2031-01-01T08:00:00Z', steps: [] } },
      '/v1/organizations/{organizationId}/workflows/{workflowId}/rollback': { version: 1 },
    };
    let tried = 0;
    for (const [attacker, victim] of [[a, b], [b, a]] as const) {
      for (const [path, methods] of Object.entries(doc.paths)) {
        if (!path.includes('{organizationId}')) continue;
        for (const method of Object.keys(methods)) {
          const url = path.replace('{organizationId}', victim.id).replace('{patientId}', victim.patientId).replace('{keyId}', 'any').replace('{purpose}', 'program-x').replace('{campaignId}', 'any').replace('{workflowId}', 'refill-reminder').replace('{version}', '1').replace('/diff', '/diff?from=1&to=2');
          for (const token of [attacker.admin, attacker.analyst]) {
            const res = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: auth(token), ...(bodies[path] && (method === 'post' || method === 'patch' || method === 'put') ? { payload: bodies[path] as Record<string, unknown> } : {}) });
            tried += 1;
            assert.ok([403, 404].includes(res.statusCode), `${method} ${url} with the other organisation's key: ${res.statusCode} ${res.body}`);
            assert.ok(!res.body.includes('CANARY'), 'nothing of the other organisation leaks');
          }
        }
      }
    }
    // The patient of one organisation is invisible under the other's path, even with its own ids mixed in.
    const mixed = await app.inject({ method: 'GET', url: `/v1/organizations/${a.id}/patients/${b.patientId}`, headers: auth(a.admin) });
    assert.equal(mixed.statusCode, 404);
    tried += 1;
    t.diagnostic(`tenancy: ${tried} cross-organisation API calls tried, all refused`);
    assert.ok(tried >= 30);
  });

  test('tenancy: a partner of the organisation reaches none of its patient routes', async (t) => {
    const o = orgs[0];
    assert.ok(o);
    await pool.query("INSERT INTO campaigns.partners (organization_id, id, display_name) VALUES ($1, 'pharma-t', 'Pharma T') ON CONFLICT DO NOTHING", [o.id]);
    const partner = (await security.apiKeys.create(o.id, 'partner', 'tenancy partner', 'pharma-t')).token;
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    let tried = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.includes('/patients')) continue;
      for (const method of Object.keys(methods)) {
        const url: string = path.replace('{organizationId}', o.id).replace('{patientId}', o.patientId).replace('{purpose}', 'program-x').replace(/\{\w+\}/g, 'any');
        const body = method === 'put' ? { payload: { status: 'given', source: 'api' } } : method === 'post' && path.endsWith('/patients') ? { payload: { identity: { givenName: 'X' } } } : {};
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: auth(partner), ...body });
        tried += 1;
        assert.equal(res.statusCode, 403, `${method} ${url} as a partner: ${res.statusCode} ${res.body}`);
        assert.ok(!res.body.includes('CANARY'));
      }
    }
    t.diagnostic(`tenancy: ${tried} patient routes tried as a partner, all 403`);
    assert.ok(tried >= 8);
  });

  test('erasure removes the patient; a second read finds nothing', async () => {
    const o = orgs[1];
    assert.ok(o);
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/organizations/${o.id}/patients/${o.patientId}`, headers: auth(o.admin) })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/organizations/${o.id}/patients/${o.patientId}`, headers: auth(o.admin) })).statusCode, 404);
  });
});
