import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../api/app.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { runImport } from './run.js';
import { createImporter, importerDeps } from './wiring.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const NOW = new Date('2031-05-01T12:00:00.000Z');
const orgA = uniqueId('org_');
const orgB = uniqueId('org_');
const mrn = uniqueId('mrn');
let app: FastifyInstance;
let pool: PgPool;
const keys: Record<string, string> = {};

before(async () => {
  pool = await deps.postgres();
  const security = await deps.security();
  for (const org of [orgA, orgB]) {
    await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'FHIR Read Clinic')`, [org]);
    keys[org] = (await security.apiKeys.create(org, 'org_admin', 'fhir test')).token;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fhir-read-'));
  writeFileSync(join(dir, 'a.ndjson'), [
    { resourceType: 'Patient', id: 'p1', identifier: [{ system: 'urn:test:mrn', value: mrn }], name: [{ family: 'Readable', given: ['Rita'] }], gender: 'female', birthDate: '1960-03-04' },
    { resourceType: 'MedicationRequest', id: 'm1', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Lisinopril 10 MG' } },
  ].map((r) => JSON.stringify(r)).join('\n'));
  const importer = createImporter(await importerDeps(cfg, deps, false, () => NOW), { organizationId: orgA, actor: { kind: 'system', id: 'fhir-read-test' }, dryRun: false, limits: { maxStringChars: 1_048_576 } });
  await runImport(importer, [join(dir, 'a.ndjson')], { limits: { maxResourceBytes: 1_048_576, unitSize: 10 }, concurrency: 1, rejectsFile: join(dir, 'rejects.ndjson') });
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, limiter: null, authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret: Buffer.alloc(32, 1), sessionTtlMs: 60_000, now: () => NOW, forgetConversation: async () => undefined,
    fhir: { pool, keyring: await deps.keyring(), vault: security.vault, audit: security.audit, version: 'test', now: () => NOW },
  });
});
after(async () => { await app.close(); await deps.close(); });

const get = (url: string, org?: string) => app.inject({ method: 'GET', url, headers: org ? { authorization: `Bearer ${keys[org]}` } : {} });

describe('FHIR R4 read API', () => {
  test('metadata is a CapabilityStatement listing what is supported', async () => {
    const res = await get('/fhir/R4/metadata');
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /application\/fhir\+json/);
    const cs = res.json() as { resourceType: string; fhirVersion: string; rest: Array<{ resource: Array<{ type: string }> }> };
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.ok(cs.rest[0]?.resource.some((r) => r.type === 'MedicationRequest'));
  });

  test('Patient?identifier= finds the imported patient; read by id and search by patient give back what came in', async () => {
    const search = (await get(`/fhir/R4/Patient?identifier=urn:test:mrn|${mrn}`, orgA)).json() as { total: number; entry: Array<{ resource: { id: string; name: Array<{ family: string }> } }> };
    assert.equal(search.total, 1);
    const pid = search.entry[0]?.resource.id ?? '';
    assert.match(pid, /^pt_/);
    assert.equal(search.entry[0]?.resource.name[0]?.family, 'Readable');
    const read = await get(`/fhir/R4/Patient/${pid}`, orgA);
    assert.equal(read.statusCode, 200);
    const meds = (await get(`/fhir/R4/MedicationRequest?patient=${pid}`, orgA)).json() as { entry: Array<{ resource: { subject: { reference: string }; medicationCodeableConcept: { text: string } } }> };
    assert.equal(meds.entry.length, 1);
    assert.equal(meds.entry[0]?.resource.subject.reference, `Patient/${pid}`);
    assert.equal(meds.entry[0]?.resource.medicationCodeableConcept.text, 'Lisinopril 10 MG');
    const audited = await pool.query(`SELECT 1 FROM audit.events WHERE organization_id = $1 AND action = 'fhir.resource.read' AND patient_id = $2`, [orgA, pid]);
    assert.equal(audited.rowCount, 1, 'the read is audited as a PHI read');
  });

  test('tenancy: another organisation\'s credentials find nothing; no credentials is a 401 OperationOutcome', async () => {
    const search = (await get(`/fhir/R4/Patient?identifier=urn:test:mrn|${mrn}`, orgA)).json() as { entry: Array<{ resource: { id: string } }> };
    const pid = search.entry[0]?.resource.id ?? '';
    const foreign = await get(`/fhir/R4/Patient/${pid}`, orgB);
    assert.equal(foreign.statusCode, 404);
    assert.equal((foreign.json() as { resourceType: string }).resourceType, 'OperationOutcome');
    const foreignSearch = (await get(`/fhir/R4/MedicationRequest?patient=${pid}`, orgB)).json() as { total: number };
    assert.equal(foreignSearch.total, 0);
    assert.equal(((await get(`/fhir/R4/Patient?identifier=urn:test:mrn|${mrn}`, orgB)).json() as { total: number }).total, 0);
    const anon = await get(`/fhir/R4/Patient/${pid}`);
    assert.equal(anon.statusCode, 401);
    assert.equal((anon.json() as { issue: Array<{ code: string }> }).issue[0]?.code, 'login');
    const unsupported = await get('/fhir/R4/Observation?patient=x', orgA);
    assert.equal(unsupported.statusCode, 400);
    assert.equal((unsupported.json() as { resourceType: string }).resourceType, 'OperationOutcome');
  });
});
