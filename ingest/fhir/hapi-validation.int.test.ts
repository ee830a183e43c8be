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
import { hapiValidate, syntheaExtras, syntheaSample } from './fhir-tools.js';
import { expandInputs, runImport } from './run.js';
import { createImporter, importerDeps } from './wiring.js';

/*
 * What Careloop exports is valid R4: a Synthea sample (5 patients, seed 7) and what the generator
 * adds to it (dispenses, pharmacies, services, schedules, slots) are imported, a conversation and
 * recorded adherence are added, the organisation is exported with $export and
 * every exported resource, and the CapabilityStatement, go through the HAPI FHIR validator.
 */

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const NOW = new Date('2031-05-01T12:00:00.000Z');
const org = uniqueId('org_');
const historyPrefix = `${uniqueId('fhirhapi')}:`;
const out = mkdtempSync(join(tmpdir(), 'fhir-hapi-'));
let app: FastifyInstance;
let pool: PgPool;
let key = '';
let sample = '';
const withHistory: string[] = [];

before(async () => {
  sample = await syntheaSample(5, 7);
  const extras = await syntheaExtras(sample, { seed: 7, reference: NOW, services: 2, slotDays: 3 });
  pool = await deps.postgres();
  const security = await deps.security();
  const keyring = await deps.keyring();
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'HAPI Validation Clinic')`, [org]);
  key = (await security.apiKeys.create(org, 'org_admin', 'hapi test')).token;
  const importer = createImporter(await importerDeps(cfg, deps, false, () => NOW), { organizationId: org, actor: { kind: 'system', id: 'fhir-hapi-test' }, dryRun: false, limits: { maxStringChars: 1_048_576 } });
  const summary = await runImport(importer, await expandInputs([sample, extras]), { limits: { maxResourceBytes: 8 << 20, unitSize: 200 }, concurrency: 2, rejectsFile: join(out, 'rejects.ndjson') });
  assert.equal(summary.rejected, 0, 'the Synthea sample imports without rejects');
  const history = new ChatHistory(await deps.redis(), historyPrefix);
  const patients = (await pool.query<{ id: string }>('SELECT id FROM patients WHERE organization_id = $1 ORDER BY id LIMIT 2', [org])).rows.map((r) => r.id);
  const meds = await pool.query<{ id: string; patient_id: string }>('SELECT id, patient_id FROM patient_medications WHERE organization_id = $1 AND patient_id = ANY($2) ORDER BY id LIMIT 2', [org, patients]);
  for (const pid of patients) {
    const lines: HistoryEntry[] = [
      { id: uniqueId('msg'), from: 'assistant', text: 'Time for your evening dose.', quickReplies: ['Taken', 'Later'], at: NOW.getTime() - 120_000 },
      { id: uniqueId('msg'), from: 'patient', text: 'Taken', quickReplies: [], at: NOW.getTime() - 60_000 },
    ];
    for (const l of lines) await history.append(pid, await keyring.sealText(org, pid, JSON.stringify(l)));
    withHistory.push(pid);
    await pool.query('INSERT INTO adherence_events (id, patient_id, organization_id, medication_id, taken, occurred_at) VALUES ($1, $2, $3, NULL, false, $4)', [uniqueId('act'), pid, org, NOW]);
  }
  for (const m of meds.rows) await pool.query('INSERT INTO adherence_events (id, patient_id, organization_id, medication_id, taken, occurred_at) VALUES ($1, $2, $3, $4, true, $5)', [uniqueId('act'), m.patient_id, org, m.id, NOW]);
  app = await buildApiApp({
    log: silentLogger, version: 'test', bodyLimit: 16_384, limiter: null, authenticate: (h) => security.authenticator.authenticate(h), security, pool,
    sessionSecret: Buffer.alloc(32, 1), sessionTtlMs: 60_000, now: () => NOW, forgetConversation: async () => undefined,
    fhir: {
      pool, keyring, vault: security.vault, audit: security.audit, version: 'test', now: () => NOW, importer: await importerDeps(cfg, deps, false, () => NOW),
      conversations: { recent: async (o, pid) => Promise.all((await history.recent(pid)).map(async (l) => JSON.parse(await keyring.openText(o, pid, l)) as HistoryEntry)) },
    },
  });
});
after(async () => {
  if (withHistory.length > 0) await (await deps.redis()).del(withHistory.map((p) => `${historyPrefix}history:${p}`));
  await app.close();
  await deps.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}`, ...headers } });

describe('HAPI FHIR validation of an export', () => {
  test('every resource of a $export of a Synthea-imported organisation, and the CapabilityStatement, validate without error', async (t) => {
    const kick = await get('/fhir/R4/$export', { prefer: 'respond-async' });
    assert.equal(kick.statusCode, 202, kick.body);
    const status = new URL(kick.headers['content-location'] as string).pathname;
    let poll = await get(status);
    for (let i = 0; poll.statusCode === 202 && i < 600; i += 1) { await new Promise((r) => setTimeout(r, 100)); poll = await get(status); }
    assert.equal(poll.statusCode, 200, poll.body);
    const manifest = poll.json() as { output: Array<{ type: string; url: string; count: number }> };
    const types = manifest.output.map((o) => o.type);
    for (const type of ['Patient', 'MedicationRequest', 'Organization', 'Practitioner', 'Communication', 'MedicationStatement', 'MedicationDispense', 'HealthcareService', 'Schedule', 'Slot', 'Location']) assert.ok(types.includes(type), `the export holds ${type}`);
    let expected = 0;
    for (const o of manifest.output) {
      const file = await get(new URL(o.url).pathname);
      assert.equal(file.statusCode, 200);
      assert.equal(file.body.trim().split('\n').length, o.count, `${o.type}: the file holds what the manifest counts`);
      writeFileSync(join(out, `${o.type}.ndjson`), file.body);
      expected += o.count;
    }
    writeFileSync(join(out, 'CapabilityStatement.json'), (await app.inject({ method: 'GET', url: '/fhir/R4/metadata' })).body);
    const report = await hapiValidate([out]);
    t.diagnostic(`HAPI validated ${report.resources} resources (${manifest.output.map((o) => `${o.type} ${o.count}`).join(', ')}, CapabilityStatement 1): ${report.errors} errors`);
    assert.equal(report.resources, expected + 1, report.output.slice(0, 4000));
    assert.equal(report.errors, 0, report.output.slice(0, 8000));
    assert.ok(report.ok, report.output.slice(0, 4000));
  });
});
