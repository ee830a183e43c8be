import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { prepare } from '../platform/bootstrap.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import type { PatientSignal } from '../schemas/generated/avro-types.js';
import { syntheaSample } from '../ingest/fhir/fhir-tools.js';
import { writeSyntheaExtras } from '../ingest/fhir/generate-synthea.js';
import type { RunSummary } from '../ingest/fhir/run.js';
import { carePlanTextColumns, openCarePlanTexts, type CarePlanTextCells } from '../platform/stores/care-plan-text.js';
import { ChatClient } from './chat-client.js';
import { eventually, silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';

/*
 * Synthea to chat: Synthea's output (seed 42, one year of history, FHIR_E2E_PATIENTS living patients cached
 * under .stack/fhir/) plus what the generator adds (dispenses, services, slots) goes through
 * `careloop import fhir` twice (the second run changes nothing); imported patients verify by date
 * of birth through the gateway and chat; the reply names their imported medications (the care
 * plan) and the dialogue has consumed the import's signals. CI imports the first
 * FHIR_E2E_PATIENTS patient Bundles (default 20, to keep CI short); 200 imports the
 * whole sample (200 living patients and the 43 Synthea lets die on the way).
 */

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
const SEED = 42;
const PATIENTS = Number(process.env['FHIR_E2E_PATIENTS'] ?? 20);
const work = mkdtempSync(join(tmpdir(), 'fhir-e2e-'));
const org = uniqueId('org_');
let product: ProductProcess;
let ports: { api: number; gateway: number; ops: number };
let inputs: string[] = [];
let patientFiles: string[] = [];
let env: NodeJS.ProcessEnv;

type R = Record<string, unknown>;

/** The first `n` patient Bundles (by name) with the shared Organization/Practitioner files, linked into a directory of their own. */
function subset(sample: string, n: number): { dir: string; patients: string[] } {
  const dir = join(work, 'synthea');
  const all = readdirSync(sample).filter((f) => f.endsWith('.json')).sort();
  const shared = all.filter((f) => /^(hospital|practitioner)Information/.test(f));
  // Synthea's output for 200 patients also holds those who died on the way: all of it at 200.
  const patients = all.filter((f) => !shared.includes(f)).slice(0, n >= 200 ? undefined : n);
  mkdirSync(dir);
  for (const f of [...shared, ...patients]) symlinkSync(join(sample, f), join(dir, f));
  return { dir, patients: patients.map((f) => join(sample, f)) };
}

async function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot(), 'dist/cli/main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

const importFhir = async (name: string): Promise<RunSummary & { ms: number }> => {
  const started = Date.now();
  const r = await cli(['import', 'fhir', ...inputs, '--org', org, '--json', '--rejects', join(work, `${name}-rejects.ndjson`)]);
  assert.equal(r.code, 0, `import ${name} exit code: ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return { ...(JSON.parse(r.stdout) as RunSummary), ms: Date.now() - started };
};

before(async () => {
  ports = { api: await freePort(), gateway: await freePort(), ops: await freePort() };
  // Generate only what is imported: Synthea runs in a fresh CI clone too (200 patients take minutes).
  const sample = await syntheaSample(Math.min(PATIENTS, 200), SEED, 1);
  const picked = subset(sample, PATIENTS);
  patientFiles = picked.patients;
  const extras = join(work, 'extras');
  await writeSyntheaExtras(picked.dir, extras, { seed: SEED, reference: new Date(`${new Date().toISOString().slice(0, 10)}T12:00:00Z`), services: 5, slotDays: 7 });
  inputs = [picked.dir, extras];
  await prepare(cfg);
  const pool = await deps.postgres();
  await pool.query(`INSERT INTO organizations (id, slug, display_name, languages) VALUES ($1, $1, 'Synthea Clinic', ARRAY['en','es'])`, [org]);
  env = {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(ports.api), CARELOOP_SERVICES_GATEWAY_PORT: String(ports.gateway), CARELOOP_SERVICES_OPS_PORT: String(ports.ops), CARELOOP_SERVICES_TWILIO_PORT: String(await freePort()),
    CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
  };
  product = await ProductProcess.start(['all'], env);
});
after(async () => {
  await product?.stop();
  await deps.close();
  await cleanupRun(cfg);
});

const arr = (v: unknown): R[] => (Array.isArray(v) ? v as R[] : []);

/** Living patients of the imported files with a phone, a birth date and an active prescription (what the test verifies and chats as). */
function chatters(n: number): Array<{ phone: string; birthDate: string; meds: string[] }> {
  const out: Array<{ phone: string; birthDate: string; meds: string[] }> = [];
  for (const f of patientFiles) {
    const entries = arr((JSON.parse(readFileSync(f, 'utf8')) as R)['entry']).map((e) => e['resource'] as R);
    const p = entries.find((r) => r['resourceType'] === 'Patient');
    const phone = arr(p?.['telecom']).find((t) => t['system'] === 'phone')?.['value'];
    const meds = entries.filter((r) => r['resourceType'] === 'MedicationRequest' && r['status'] === 'active').map((r) => String((r['medicationCodeableConcept'] as R | undefined)?.['text'] ?? ''));
    if (p === undefined || p['deceasedDateTime'] !== undefined || typeof phone !== 'string' || typeof p['birthDate'] !== 'string' || meds.length === 0) continue;
    out.push({ phone, birthDate: p['birthDate'], meds });
    if (out.length === n) break;
  }
  return out;
}

describe('Synthea through careloop import fhir to the chat', () => {
  let first: RunSummary & { ms: number };

  test('the import creates every patient and the generated care data without a reject; a second run reports everything unchanged', async (t) => {
    first = await importFhir('first');
    const c = first.counts;
    assert.equal(first.rejected, 0);
    assert.equal(c['Patient']?.created, patientFiles.length);
    for (const type of ['MedicationRequest', 'MedicationDispense', 'Organization', 'Practitioner', 'Location', 'HealthcareService', 'Schedule', 'Slot']) assert.ok((c[type]?.created ?? 0) > 0, `${type} created`);
    const again = await importFhir('second');
    for (const [type, n] of Object.entries(again.counts)) {
      assert.deepEqual({ created: n.created, updated: n.updated, rejected: n.rejected }, { created: 0, updated: 0, rejected: 0 }, `${type} on the second run`);
      assert.equal(n.unchanged, c[type]?.created ?? 0, `${type}: all unchanged`);
    }
    const made = Object.entries(c).filter(([, n]) => n.created > 0).map(([k, n]) => `${k} ${n.created}`).join(', ');
    t.diagnostic(`${patientFiles.length} Synthea patients: ${first.resources} resources read, created ${made}; first run ${(first.ms / 1000).toFixed(1)} s, second (all unchanged) ${(again.ms / 1000).toFixed(1)} s`);
  });

  test('imported patients verify by date of birth through the gateway and chat; the reply names their imported medications; the dialogue consumed the signals', async () => {
    const pool = await deps.postgres();
    const people = chatters(2);
    assert.equal(people.length, 2, 'the sample has living patients with a phone and an active prescription');
    const signals = await readSignals();
    // The import's signals reach the dialogue first; a chat right after a large import would queue behind them.
    const admin = new kafkajs.Kafka({ clientId: 'fhir-e2e', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topic = `${cfg.kafka.topicPrefix}patient.signals`;
      const high = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
      await eventually(async () => {
        const [o] = await admin.fetchOffsets({ groupId: `${cfg.kafka.topicPrefix}dialogue`, topics: [topic] });
        const done = (o?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        return done >= high ? true : undefined;
      }, 180_000, `the dialogue has consumed all ${high} signals`);
    } finally {
      await admin.disconnect();
    }
    for (const who of people) {
      const verify = await fetch(`http://127.0.0.1:${ports.gateway}/v1/verify/birth-date`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ organizationId: org, sessionId: randomUUID(), phone: who.phone, birthDate: who.birthDate }),
      });
      assert.equal(verify.status, 200, await verify.clone().text());
      const { token, patientId } = (await verify.json()) as { token: string; patientId: string };
      const plan = await pool.query<CarePlanTextCells>(`SELECT ${carePlanTextColumns()} FROM patient_medications WHERE organization_id = $1 AND patient_id = $2 AND active`, [org, patientId]);
      assert.ok(plan.rows.every((r) => r.name === '' && r.sealed !== null), 'the care plan\'s text is sealed at rest');
      const names = (await openCarePlanTexts(await deps.keyring(), plan.rows)).map((x) => x.name);
      assert.deepEqual(names.sort(), who.meds.map((m) => m.slice(0, 200)).sort(), 'the care plan holds the active prescriptions');
      const started = new Set(signals.filter((s) => s.patientId === patientId && s.type === 'medication_started').map((s) => s.attributes['medicationRequestId']));
      assert.ok(plan.rows.every((r) => started.has(r.id)), 'a medication_started signal for every care-plan medication');
      const client = await ChatClient.connect(`ws://127.0.0.1:${ports.gateway}/v1/chat`, token);
      try {
        const id = client.send('I took my pills');
        await client.waitFor('the reply', (fs) => fs.some((f) => f.type === 'message' && f.replyTo === id), 60_000);
        const reply = client.frames.find((f) => f.type === 'message' && f.replyTo === id)?.text ?? '';
        assert.ok(who.meds.some((m) => reply.includes(m)), `the reply names an imported medication: ${reply.slice(0, 300)}`);
      } finally {
        client.close();
      }
    }
  });
});

/** Every record on the run's patient.signals topic. */
async function readSignals(): Promise<PatientSignal[]> {
  const kafka = new kafkajs.Kafka({ clientId: 'fhir-e2e-signals', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING });
  const topic = `${cfg.kafka.topicPrefix}patient.signals`;
  const admin = kafka.admin();
  await admin.connect();
  const expected = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  await admin.disconnect();
  const catalogue = await deps.catalogue();
  const got: PatientSignal[] = [];
  const consumer = kafka.consumer({ groupId: uniqueId('fhir-e2e-') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { got.push(await catalogue.decode<PatientSignal>(message.value)); } });
  try {
    await eventually(async () => (got.length >= expected ? true : undefined), 30_000, `${expected} signals read`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}
