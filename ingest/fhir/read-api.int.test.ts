import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../api/app.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { ChatHistory, type HistoryEntry } from '../../platform/stores/chat-history.js';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { fromFhirId } from './fhir-ids.js';
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
const historyPrefix = `${uniqueId('fhirtest')}:`;
let history: ChatHistory;
let exportStatus = '';
let exportFile = '';

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
  const keyring = await deps.keyring();
  history = new ChatHistory(await deps.redis(), historyPrefix);
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, limiter: null, authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret: Buffer.alloc(32, 1), sessionTtlMs: 60_000, now: () => NOW, forgetConversation: async () => undefined,
    fhir: {
      pool, keyring, vault: security.vault, audit: security.audit, version: 'test', now: () => NOW,
      conversations: { recent: async (org, pid) => Promise.all((await history.recent(pid)).map(async (l) => JSON.parse(await keyring.openText(org, pid, l)) as HistoryEntry)) },
    },
  });
});
after(async () => { await (await deps.redis()).del(`${historyPrefix}history:${fromFhirId(await importedPatient())}`); await app.close(); await deps.close(); });

async function importedPatient(): Promise<string> {
  const search = (await get(`/fhir/R4/Patient?identifier=urn:test:mrn|${mrn}`, orgA)).json() as { entry: Array<{ resource: { id: string } }> };
  return search.entry[0]?.resource.id ?? '';
}

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
    assert.match(pid, /^pt-[0-9A-Za-z]{22}$/, 'our pt_ id, written as an R4 id');
    assert.equal(search.entry[0]?.resource.name[0]?.family, 'Readable');
    const read = await get(`/fhir/R4/Patient/${pid}`, orgA);
    assert.equal(read.statusCode, 200);
    const meds = (await get(`/fhir/R4/MedicationRequest?patient=${pid}`, orgA)).json() as { entry: Array<{ resource: { subject: { reference: string }; medicationCodeableConcept: { text: string } } }> };
    assert.equal(meds.entry.length, 1);
    assert.equal(meds.entry[0]?.resource.subject.reference, `Patient/${pid}`);
    assert.equal(meds.entry[0]?.resource.medicationCodeableConcept.text, 'Lisinopril 10 MG');
    const audited = await pool.query(`SELECT 1 FROM audit.events WHERE organization_id = $1 AND action = 'fhir.resource.read' AND patient_id = $2`, [orgA, fromFhirId(pid)]);
    assert.equal(audited.rowCount, 1, 'the read is audited as a PHI read');
  });

  test('the conversation comes out as Communication and recorded adherence as MedicationStatement, by patient, audited', async () => {
    const pid = await importedPatient();
    const keyring = await deps.keyring();
    const lines: HistoryEntry[] = [
      { id: uniqueId('msg'), from: 'assistant', text: 'Did you take your Lisinopril?', quickReplies: ['yes'], at: NOW.getTime() - 60_000 },
      { id: uniqueId('msg'), from: 'patient', text: 'yes I did', quickReplies: [], at: NOW.getTime() - 30_000 },
    ];
    const ours = fromFhirId(pid);
    for (const l of lines) await history.append(ours, await keyring.sealText(orgA, ours, JSON.stringify(l)));
    const mr = ((await get(`/fhir/R4/MedicationRequest?patient=${pid}`, orgA)).json() as { entry: Array<{ resource: { id: string } }> }).entry[0]?.resource.id ?? '';
    await pool.query(`INSERT INTO adherence_events (id, patient_id, organization_id, medication_id, taken, occurred_at) VALUES ($1, $2, $3, $4, true, $5), ($6, $2, $3, NULL, false, $5)`,
      [uniqueId('act'), ours, orgA, fromFhirId(mr), NOW, uniqueId('act')]);

    const comms = (await get(`/fhir/R4/Communication?patient=${pid}`, orgA)).json() as { total: number; entry: Array<{ resource: { id: string; subject: { reference: string }; sender: { reference?: string }; payload: Array<{ contentString: string }>; sent: string } }> };
    assert.equal(comms.total, 2);
    assert.deepEqual(comms.entry.map((e) => e.resource.payload[0]?.contentString), ['Did you take your Lisinopril?', 'yes I did']);
    assert.equal(comms.entry[1]?.resource.sender.reference, `Patient/${pid}`);
    assert.equal(comms.entry[0]?.resource.sent, new Date(NOW.getTime() - 60_000).toISOString());
    assert.match(comms.entry[0]?.resource.id ?? '', /^[A-Za-z0-9\-.]{1,64}$/);

    const stmts = (await get(`/fhir/R4/MedicationStatement?patient=${pid}`, orgA)).json() as { total: number; entry: Array<{ resource: { status: string; basedOn?: Array<{ reference: string }>; medicationCodeableConcept: { text: string } } }> };
    assert.equal(stmts.total, 2);
    const taken = stmts.entry.find((e) => e.resource.status === 'completed');
    assert.equal(taken?.resource.basedOn?.[0]?.reference, `MedicationRequest/${mr}`);
    assert.equal(taken?.resource.medicationCodeableConcept.text, 'Lisinopril 10 MG');
    assert.ok(stmts.entry.some((e) => e.resource.status === 'not-taken'));

    const audited = await pool.query<{ result_count: number }>(`SELECT result_count FROM audit.events WHERE organization_id = $1 AND action = 'fhir.resource.search' AND patient_id = $2 ORDER BY seq`, [orgA, ours]);
    assert.ok(audited.rows.filter((r) => r.result_count === 2).length >= 2, 'both searches are audited with what they returned');

    assert.equal(((await get(`/fhir/R4/Communication?patient=${pid}`, orgB)).json() as { total: number }).total, 0, 'another organisation reads no conversation');
    assert.equal(((await get(`/fhir/R4/MedicationStatement?patient=${pid}`, orgB)).json() as { total: number }).total, 0);
  });

  test('Bulk $export: 202 + Content-Location, polling until the manifest, NDJSON per type with the same credentials, audited', async () => {
    const kick = await app.inject({ method: 'GET', url: '/fhir/R4/$export', headers: { authorization: `Bearer ${keys[orgA]}`, prefer: 'respond-async', accept: 'application/fhir+json' } });
    assert.equal(kick.statusCode, 202, kick.body);
    const status = new URL(kick.headers['content-location'] as string);
    let poll = await get(status.pathname, orgA);
    for (let i = 0; poll.statusCode === 202 && i < 100; i += 1) {
      assert.match(poll.headers['x-progress'] as string, /types\)$/);
      await new Promise((r) => setTimeout(r, 50));
      poll = await get(status.pathname, orgA);
    }
    assert.equal(poll.statusCode, 200, poll.body);
    const manifest = poll.json() as { transactionTime: string; requiresAccessToken: boolean; output: Array<{ type: string; url: string; count: number }> };
    assert.equal(manifest.requiresAccessToken, true);
    const byType = Object.fromEntries(manifest.output.map((o) => [o.type, o]));
    assert.deepEqual(Object.keys(byType).sort(), ['Communication', 'MedicationRequest', 'MedicationStatement', 'Patient']);
    const patients = await get(new URL(byType['Patient']?.url ?? '').pathname, orgA);
    assert.equal(patients.statusCode, 200);
    assert.match(patients.headers['content-type'] as string, /application\/fhir\+ndjson/);
    const lines = patients.body.trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string; name: Array<{ family: string }> });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.name[0]?.family, 'Readable');
    const comms = (await get(new URL(byType['Communication']?.url ?? '').pathname, orgA)).body.trim().split('\n');
    assert.equal(comms.length, byType['Communication']?.count);
    assert.equal((await get(new URL(byType['Patient']?.url ?? '').pathname)).statusCode, 401, 'the files need the credentials');
    const audited = await pool.query<{ action: string; result_count: number }>(`SELECT action, result_count FROM audit.events WHERE organization_id = $1 AND action LIKE 'fhir.export.%' ORDER BY seq`, [orgA]);
    assert.deepEqual(audited.rows.map((r) => r.action), ['fhir.export.kickoff', 'fhir.export.read', 'fhir.export.read']);
    assert.equal(audited.rows[1]?.result_count, 1);
    const sync = await app.inject({ method: 'GET', url: '/fhir/R4/$export', headers: { authorization: `Bearer ${keys[orgA]}` } });
    assert.equal(sync.statusCode, 400, 'without Prefer: respond-async');
    assert.equal((sync.json() as { resourceType: string }).resourceType, 'OperationOutcome');
    exportStatus = status.pathname;
    exportFile = new URL(byType['Patient']?.url ?? '').pathname;
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
    assert.ok(exportStatus !== '' && exportFile !== '', 'the export test ran first');
    for (const url of [exportStatus, exportFile]) {
      const res = await get(url, orgB);
      assert.equal(res.statusCode, 404, `${url} with the other organisation's key`);
      assert.ok(!res.body.includes('Readable'));
    }
    assert.equal((await app.inject({ method: 'DELETE', url: exportStatus, headers: { authorization: `Bearer ${keys[orgB]}` } })).statusCode, 404);
    const unsupported = await get('/fhir/R4/Observation?patient=x', orgA);
    assert.equal(unsupported.statusCode, 400);
    assert.equal((unsupported.json() as { resourceType: string }).resourceType, 'OperationOutcome');
  });
});
