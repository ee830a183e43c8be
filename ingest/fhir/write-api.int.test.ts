import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../api/app.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { importerDeps } from './wiring.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const NOW = new Date('2031-05-01T12:00:00.000Z');
const orgA = uniqueId('org_');
const orgB = uniqueId('org_');
const run = uniqueId('w');
let app: FastifyInstance;
let pool: PgPool;
const keys: Record<string, string> = {};
let analystKey = '';

before(async () => {
  pool = await deps.postgres();
  const security = await deps.security();
  for (const org of [orgA, orgB]) {
    await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'FHIR Write Clinic')`, [org]);
    keys[org] = (await security.apiKeys.create(org, 'org_admin', 'fhir write test')).token;
  }
  analystKey = (await security.apiKeys.create(orgA, 'analyst', 'fhir write test')).token;
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, limiter: null, authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret: Buffer.alloc(32, 1), sessionTtlMs: 60_000, now: () => NOW, forgetConversation: async () => undefined,
    fhir: { pool, keyring: await deps.keyring(), vault: security.vault, audit: security.audit, version: 'test', now: () => NOW, importer: await importerDeps(cfg, deps, false, () => NOW), maxImportBytes: 1_048_576 },
  });
});
after(async () => { await app.close(); await deps.close(); });

const patient = (n: string): Record<string, unknown> => ({ resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value: `${run}-${n}` }], name: [{ family: `Writer${n}` }], gender: 'male', birthDate: '1955-06-07' });
const med = (subject: string, status = 'active'): Record<string, unknown> => ({ resourceType: 'MedicationRequest', identifier: [{ system: 'urn:test:rx', value: `${run}-${subject}-${status}` }], status, intent: 'order', subject: { reference: subject }, medicationCodeableConcept: { text: 'Metformin 500 MG' } });
const post = (url: string, body: string, type: string, org = orgA, extra: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: body, headers: { authorization: `Bearer ${keys[org]}`, 'content-type': type, ...extra } });
const get = (url: string, org = orgA) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${keys[org]}` } });
const found = async (n: string, org = orgA): Promise<number> => ((await get(`/fhir/R4/Patient?identifier=urn:test:mrn|${run}-${n}`, org)).json() as { total: number }).total;

describe('FHIR R4 writes: POST /fhir/R4 and $import', () => {
  test('a batch Bundle: each entry has its own outcome; a second POST reports the same resources unchanged', async () => {
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [
      { fullUrl: 'urn:uuid:1b5a0d1e-0000-4000-8000-000000000001', resource: patient('b1'), request: { method: 'POST', url: 'Patient' } },
      { resource: med('urn:uuid:1b5a0d1e-0000-4000-8000-000000000001'), request: { method: 'POST', url: 'MedicationRequest' } },
      { resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } }, request: { method: 'POST', url: 'Encounter' } },
      { resource: med('urn:uuid:1b5a0d1e-0000-4000-8000-000000000001', 'taken-maybe'), request: { method: 'POST', url: 'MedicationRequest' } },
    ] };
    const res = await post('/fhir/R4', JSON.stringify(bundle), 'application/fhir+json');
    assert.equal(res.statusCode, 200, res.body);
    const out = res.json() as { type: string; entry: Array<{ response: { status: string; location?: string; outcome?: { issue: Array<{ severity: string; code: string }> } } }> };
    assert.equal(out.type, 'batch-response');
    assert.deepEqual(out.entry.map((e) => e.response.status), ['201 Created', '201 Created', '422 Unprocessable Entity', '422 Unprocessable Entity']);
    assert.match(out.entry[0]?.response.location ?? '', /^Patient\/pt-[0-9A-Za-z]{22}$/);
    assert.equal(out.entry[2]?.response.outcome?.issue[0]?.code, 'not-supported');
    assert.equal(out.entry[3]?.response.outcome?.issue[0]?.severity, 'error');
    const read = await get(`/fhir/R4/${out.entry[0]?.response.location ?? ''}`);
    assert.equal(read.statusCode, 200);
    const meds = (await get(`/fhir/R4/MedicationRequest?patient=${out.entry[0]?.response.location ?? ''}`)).json() as { total: number };
    assert.equal(meds.total, 1, 'the valid prescription went in, the bad one did not');
    const again = (await post('/fhir/R4', JSON.stringify(bundle), 'application/fhir+json')).json() as { entry: Array<{ response: { status: string; location?: string } }> };
    assert.deepEqual(again.entry.slice(0, 2).map((e) => e.response.status), ['200 OK', '200 OK']);
    assert.equal(again.entry[0]?.response.location, out.entry[0]?.response.location, 'matched by identifier, not duplicated');
    assert.equal(((await get(`/fhir/R4/MedicationRequest?patient=${out.entry[0]?.response.location ?? ''}`)).json() as { total: number }).total, 1);
  });

  test('a transaction is all or nothing: one bad entry and nothing is written; a good one answers with locations', async () => {
    const bad = { resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'urn:uuid:2b5a0d1e-0000-4000-8000-000000000002', resource: patient('t1'), request: { method: 'POST', url: 'Patient' } },
      { resource: med('Patient/nobody-here'), request: { method: 'POST', url: 'MedicationRequest' } },
    ] };
    const refused = await post('/fhir/R4', JSON.stringify(bad), 'application/fhir+json');
    assert.equal(refused.statusCode, 422, refused.body);
    const oo = refused.json() as { resourceType: string; issue: Array<{ code: string; expression: string[] }> };
    assert.equal(oo.resourceType, 'OperationOutcome');
    assert.equal(oo.issue[0]?.code, 'not-found');
    assert.match(oo.issue[0]?.expression[0] ?? '', /^Bundle\.entry\[1\]\.resource\.subject/);
    assert.equal(await found('t1'), 0, 'the valid patient of the failed transaction was not written');
    const good = { ...bad, entry: [bad.entry[0], { resource: med('urn:uuid:2b5a0d1e-0000-4000-8000-000000000002'), request: { method: 'POST', url: 'MedicationRequest' } }] };
    const ok = await post('/fhir/R4', JSON.stringify(good), 'application/fhir+json');
    assert.equal(ok.statusCode, 200, ok.body);
    const resp = ok.json() as { type: string; entry: Array<{ response: { status: string; location: string } }> };
    assert.equal(resp.type, 'transaction-response');
    assert.deepEqual(resp.entry.map((e) => e.response.status), ['201 Created', '201 Created']);
    assert.equal(await found('t1'), 1);
    const notBundle = await post('/fhir/R4', JSON.stringify(patient('x')), 'application/fhir+json');
    assert.equal(notBundle.statusCode, 400);
    assert.equal((notBundle.json() as { resourceType: string }).resourceType, 'OperationOutcome');
  });

  test('$import: 202 + status URL, polling shows progress, the end gives counts and each reject; other organisations see nothing', async () => {
    const lines = [patient('i1'), patient('i2'), patient('i3')].map((r) => JSON.stringify(r));
    lines.push('{"resourceType": "Patient", "gender": "sometimes"}', 'not json at all');
    const kick = await post('/fhir/R4/$import', lines.join('\n'), 'application/fhir+ndjson', orgA, { prefer: 'respond-async' });
    assert.equal(kick.statusCode, 202, kick.body);
    const status = new URL(kick.headers['content-location'] as string).pathname;
    assert.equal((await get(status, orgB)).statusCode, 404, 'another organisation cannot read the job');
    let poll = await get(status);
    for (let i = 0; poll.statusCode === 202 && i < 200; i += 1) {
      assert.match(poll.headers['x-progress'] as string, /% read, \d+ resources, \d+ rejected$/);
      await new Promise((r) => setTimeout(r, 50));
      poll = await get(status);
    }
    assert.equal(poll.statusCode, 200, poll.body);
    const outcome = poll.json() as { counts: Record<string, { created: number; rejected: number }>; rejected: number; rejects: Array<{ resourceType: string; issue: Array<{ diagnostics: string }> }> };
    assert.equal(outcome.counts['Patient']?.created, 3);
    assert.equal(outcome.rejected, 2);
    assert.equal(outcome.rejects.length, 2);
    assert.ok(outcome.rejects.every((o) => o.resourceType === 'OperationOutcome' && (o.issue[0]?.diagnostics ?? '') !== ''));
    assert.equal(await found('i2'), 1);
    assert.equal(await found('i2', orgB), 0);
    const job = await pool.query<{ state: string }>('SELECT state FROM care.jobs WHERE organization_id = $1 AND kind = $2', [orgA, 'import']);
    assert.deepEqual(job.rows.map((r) => r.state), ['completed'], 'the job is a care.jobs row');
    const sync = await post('/fhir/R4/$import', lines.join('\n'), 'application/fhir+ndjson');
    assert.equal(sync.statusCode, 400, 'without Prefer: respond-async');
  });

  test('writing needs phi:write: an analyst is refused; a body over the limit is a 413 OperationOutcome', async () => {
    const res = await app.inject({ method: 'POST', url: '/fhir/R4', payload: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [] }), headers: { authorization: `Bearer ${analystKey}`, 'content-type': 'application/fhir+json' } });
    assert.equal(res.statusCode, 403);
    assert.equal((res.json() as { resourceType: string }).resourceType, 'OperationOutcome');
    const big = JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: { ...patient('big'), text: { status: 'generated', div: 'x'.repeat(1_100_000) } } }] });
    const tooBig = await post('/fhir/R4', big, 'application/fhir+json');
    assert.equal(tooBig.statusCode, 413);
    const tooBigAsync = await post('/fhir/R4/$import', big, 'application/fhir+ndjson', orgA, { prefer: 'respond-async' });
    assert.equal(tooBigAsync.statusCode, 413);
  });
});
