import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { Dependencies } from '../../platform/service/dependencies.js';
import { TOPICS } from '../../platform/kafka/topics.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { PatientSignal } from '../../schemas/generated/avro-types.js';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import type { OperationOutcome } from './outcome.js';
import { runImport, type RunSummary } from './run.js';
import { createImporter, importerDeps } from './wiring.js';

const cfg = testConfig();
const deps = new Dependencies(cfg, silentLogger);
const dir = mkdtempSync(join(tmpdir(), 'fhir-import-'));
const org = uniqueId('org_');
const run = uniqueId('r');
let pool: PgPool;
let dropTopics: () => Promise<void>;

const patient = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  resourceType: 'Patient', id, identifier: [{ system: 'urn:test:mrn', value: `${run}-${id}` }], name: [{ family: `Fam${id}`, given: [`Giv${id}`] }],
  telecom: [{ system: 'phone', value: `+1617555${String(1000 + id.length * 7).slice(0, 4)}` }], gender: 'female', birthDate: '1970-01-02', ...extra,
});
const med = (id: string, patientRef: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  resourceType: 'MedicationRequest', id, status: 'active', intent: 'order', subject: { reference: patientRef },
  medicationCodeableConcept: { text: `Canarymed${run}` }, dosageInstruction: [{ text: 'one tablet twice a day', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }], ...extra,
});

// Valid lines first, then one line per kind of bad input; each bad line names what must be rejected.
const valid = [patient('p1'), patient('p2', { telecom: [{ system: 'phone', value: '+16175550202' }] }), med('m1', 'Patient/p1'), med('m2', 'Patient/p2'),
  { resourceType: 'MedicationDispense', id: 'd1', status: 'completed', subject: { reference: 'Patient/p1' }, authorizingPrescription: [{ reference: 'MedicationRequest/m1' }], medicationCodeableConcept: { text: 'x' }, daysSupply: { value: 30 }, whenHandedOver: '2024-01-05T10:00:00Z' }];
const bad: Array<[string, string, string]> = [
  ['{"resourceType": "Patient", "id": ', 'structure', 'not JSON'],
  [JSON.stringify({ resourceType: 'Patientt', id: 'x1' }), 'not-supported', 'unknown resourceType'],
  [JSON.stringify({ resourceType: 'MedicationRequest', id: 'x2', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'a' } }), 'required', 'missing subject'],
  [JSON.stringify(patient('x3', { gender: 'mal' })), 'code-invalid', 'bad gender'],
  [JSON.stringify(med('x4', 'Patient/nobody')), 'not-found', 'dangling reference'],
  [JSON.stringify(patient('x5', { name: [{ text: 'A'.repeat(5 * 1024 * 1024) }] })), 'too-long', '5 MB string'],
  [JSON.stringify(patient('x6', { favouriteColour: 'blue' })), 'structure', 'unknown element'],
  [JSON.stringify(med('x7', 'Patient/p1', { dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'days' } } }] })), 'code-invalid', 'bad timing unit'],
  [JSON.stringify(patient('x8', { birthDate: '1990-13-45' })), 'value', 'bad date'],
  ['[1, 2]', 'structure', 'an array, not a resource'],
  [JSON.stringify({ resourceType: 'Slot', id: 'x9', schedule: { reference: 'Schedule/s' }, status: 'free', start: '2024-01-02T10:00:00Z', end: '2024-01-02T09:00:00Z' }), 'invariant', 'slot ends before it starts'],
  [JSON.stringify(patient('x10', { telecom: [{ system: 'phone', value: '12' }] })), 'value', 'phone the vault cannot store'],
  [JSON.stringify(patient('x11', { active: 'yes' })), 'structure', 'wrong JSON type'],
  [JSON.stringify(med('x12', 'Patient/p1', { status: 'taking' })), 'code-invalid', 'bad status'],
];
const bundle = {
  resourceType: 'Bundle', type: 'transaction', entry: [
    { fullUrl: 'urn:uuid:b-p3', resource: patient('p3', { telecom: [{ system: 'phone', value: '+16175550303' }] }), request: { method: 'POST', url: 'Patient' } },
    { fullUrl: 'urn:uuid:b-p3b', resource: patient('p3'), request: { method: 'POST', url: 'Patient' } },
    { fullUrl: 'urn:uuid:b-m3', resource: med('m3', 'urn:uuid:b-p3'), request: { method: 'POST', url: 'MedicationRequest' } },
    { fullUrl: 'urn:uuid:b-p4', resource: patient('p4', { gender: 'nope' }), request: { method: 'POST', url: 'Patient' } },
    { fullUrl: 'urn:uuid:b-m4', resource: med('m4', 'urn:uuid:b-p4'), request: { method: 'POST', url: 'MedicationRequest' } },
  ],
};

async function importFile(file: string, dryRun = false): Promise<RunSummary> {
  const importer = createImporter(await importerDeps(cfg, deps, true, () => new Date()), { organizationId: org, actor: { kind: 'system', id: 'fhir-import-test' }, dryRun, limits: { maxStringChars: 1_048_576 } });
  return runImport(importer, [file], { limits: { maxResourceBytes: 8 * 1_048_576, unitSize: 100 }, concurrency: 2, rejectsFile: join(dir, `rejects-${uniqueId()}.ndjson`) });
}

before(async () => {
  pool = await deps.postgres();
  dropTopics = await createTestTopics(cfg, TOPICS.filter((t) => t.name === 'patient.signals'));
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'FHIR Import Clinic')`, [org]);
  writeFileSync(join(dir, 'mixed.ndjson'), [...valid.map((v) => JSON.stringify(v)), ...bad.map((b) => b[0]), JSON.stringify(bundle)].join('\n'));
});
after(async () => { await dropTopics(); await deps.close(); });

const count = async (sql: string): Promise<number> => Number((await pool.query<{ n: string }>(sql, [org])).rows[0]?.n ?? -1);

describe('careloop import fhir', () => {
  test('a dry run writes nothing and reports what would happen', async () => {
    const s = await importFile(join(dir, 'mixed.ndjson'), true);
    assert.equal(s.counts['Patient']?.created, 3);
    assert.equal(await count('SELECT count(*) AS n FROM care.resources WHERE organization_id = $1'), 0);
  });

  test('a file mixing valid and bad resources imports the valid ones and explains each reject', async () => {
    const s = await importFile(join(dir, 'mixed.ndjson'));
    const rejects = readFileSync(s.rejectsFile ?? '', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OperationOutcome);
    // 14 bad lines, the duplicate in the Bundle, the bad patient of the Bundle and its medication.
    assert.equal(rejects.length, bad.length + 3, JSON.stringify(rejects.map((r) => r.issue[0]?.diagnostics)));
    for (const [line, code, what] of bad) {
      const index = valid.length + bad.findIndex((b) => b[0] === line);
      const r = rejects.find((o) => o.extension?.some((e) => e.url.endsWith('#index') && e.valueInteger === index));
      assert.ok(r, `${what}: rejected`);
      assert.ok(r.issue.some((i) => i.code === code), `${what}: ${code}, got ${JSON.stringify(r.issue)}`);
      assert.ok(r.issue.every((i) => i.diagnostics.length > 10 && i.diagnostics.length < 600), `${what}: a human message, not the value`);
    }
    assert.ok(rejects.some((r) => r.issue[0]?.code === 'duplicate'), 'the duplicate id in the Bundle');
    assert.ok(rejects.some((r) => r.issue[0]?.code === 'processing' && /rejected/.test(r.issue[0].diagnostics)), 'the medication of the rejected patient');
    assert.deepEqual({ ...s.counts['Patient'] }, { created: 3, updated: 0, unchanged: 0, rejected: 8, ignored: 0 });
    assert.equal(s.counts['MedicationRequest']?.created, 3);
    assert.equal(await count('SELECT count(*) AS n FROM vault.patients WHERE organization_id = $1'), 3, 'nothing of a rejected patient in the vault');
    assert.equal(await count('SELECT count(*) AS n FROM care.resources WHERE organization_id = $1'), 7, '3 patients, 3 prescriptions, 1 dispense');
    assert.equal(await count('SELECT count(*) AS n FROM patient_medications WHERE organization_id = $1 AND active'), 3);
    assert.equal(await count(`SELECT count(*) AS n FROM audit.events WHERE organization_id = $1 AND action = 'vault.patient.create'`), 3, 'every identity write audited');
    const dispense = await pool.query<{ days_supply: string; request_id: string }>('SELECT days_supply, request_id FROM care.medication_dispenses WHERE organization_id = $1', [org]);
    assert.equal(Number(dispense.rows[0]?.days_supply), 30);
    assert.match(dispense.rows[0]?.request_id ?? '', /^mr_/);
    const plain = await pool.query<{ t: string }>(`SELECT t::text AS t FROM care.resources t WHERE organization_id = $1`, [org]);
    assert.ok(plain.rows.every((r) => !r.t.includes(`Canarymed${run}`) && !r.t.includes('Famp1')), 'originals are sealed');
  });

  test('the imported prescriptions reach patient.signals, keyed by patient', async () => {
    const kafka = new kafkajs.Kafka({ clientId: 'fhir-test', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueId('fhir-test-') });
    const catalogue = await deps.catalogue();
    const got: PatientSignal[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${cfg.kafka.topicPrefix}patient.signals`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { got.push(await catalogue.decode<PatientSignal>(message.value)); } });
    try {
      await eventually(async () => (got.filter((s) => s.type === 'medication_started').length >= 3 ? true : undefined), 20_000, 'medication_started signals');
      const started = got.filter((s) => s.type === 'medication_started');
      assert.ok(started.every((s) => s.organizationId === org && /^pt_/.test(s.patientId) && s.source === 'fhir' && /^mr_/.test(s.attributes['medicationRequestId'] ?? '')));
      assert.ok(got.some((s) => s.type === 'dispense_recorded' && s.attributes['daysSupply'] === '30'));
      assert.ok(!JSON.stringify(got).includes(`Canarymed${run}`), 'no medication name in a signal');
    } finally {
      await consumer.disconnect();
    }
  });

  test('a second import reports everything unchanged; a changed patient is updated in place', async () => {
    const again = await importFile(join(dir, 'mixed.ndjson'));
    assert.deepEqual({ ...again.counts['Patient'] }, { created: 0, updated: 0, unchanged: 3, rejected: 8, ignored: 0 });
    assert.equal(again.counts['MedicationRequest']?.unchanged, 3);
    const before = await pool.query<{ id: string }>('SELECT id FROM patients WHERE organization_id = $1 ORDER BY id', [org]);
    const changed = join(dir, 'changed.ndjson');
    writeFileSync(changed, JSON.stringify(patient('p1', { telecom: [{ system: 'phone', value: '+16175559999' }] })));
    const upd = await importFile(changed);
    assert.equal(upd.counts['Patient']?.updated, 1);
    const afterIds = await pool.query<{ id: string }>('SELECT id FROM patients WHERE organization_id = $1 ORDER BY id', [org]);
    assert.deepEqual(afterIds.rows, before.rows, 'no duplicate patient');
    const security = await deps.security();
    const found = await security.vault.findByPhone({ kind: 'system', id: 'fhir-import-test' }, org, '+16175559999', 'operations');
    assert.equal(found.length, 1);
    assert.ok(before.rows.some((r) => r.id === found[0]));
  });
});
