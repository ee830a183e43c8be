import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { prepare } from '../platform/bootstrap.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { createClickHouse } from '../platform/storage/clickhouse.js';
import { fromParts, ProfileStore, profileKeyPrefix } from '../platform/profiles/store.js';
import { ChatClient } from './chat-client.js';
import { silentLogger, testConfig, uniqueId } from './helpers.js';
import { cleanupRun, freePort, ProductProcess } from './product.js';

const cfg = testConfig({ 'clickhouse.database': uniqueId('careloop_test_') });
const deps = new Dependencies(cfg, silentLogger);
const run = randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
const digits = String(Math.floor(1e6 + Math.random() * 8e6));
const fhirDigits = String(Math.floor(1e6 + Math.random() * 8e6));
// Medication names and instructions are canaries too: the care plan (patient_medications) keeps them sealed
// with the organisation's key (0060_care_plan_sealed), and actions name medications by care-plan id.
const canaries = {
  fhirGiven: `Canaryfhirgiven${run}`,
  fhirFamily: `Canaryfhirfamily${run}`,
  fhirPhone: `555${fhirDigits}`,
  fhirStreet: `Canarystreet${run}`,
  fhirCity: `Canarycity${run}`,
  fhirIdentifier: `CANARYMRN${run}`,
  fhirMedication: `Canaryfhirmed${run}`,
  fhirMedicationDisplay: `Canaryfhirdisplay${run}`,
  fhirInstructions: `Canaryfhirsig${run}`,
  fhirDispensed: `Canaryfhirdispensed${run}`,
  apiMedication: `Canaryapimed${run}`,
  apiInstructions: `Canaryapisig${run}`,
  given: `Canarygiven${run}`,
  family: `Canaryfamily${run}`,
  phone: `555${digits}`,
  text: `canarytext${run.toLowerCase()}`,
  email: `canary.${run.toLowerCase()}@example.org`,
};
let product: ProductProcess;
let ports: { api: number; gateway: number; ops: number };

before(async () => {
  ports = { api: await freePort(), gateway: await freePort(), ops: await freePort() };
  await prepare(cfg);
  product = await ProductProcess.start(['all'], {
    ...process.env, CARELOOP_KAFKA_TOPIC_PREFIX: cfg.kafka.topicPrefix, CARELOOP_CLICKHOUSE_DATABASE: cfg.clickhouse.database,
    CARELOOP_SERVICES_API_PORT: String(ports.api), CARELOOP_SERVICES_GATEWAY_PORT: String(ports.gateway), CARELOOP_SERVICES_OPS_PORT: String(ports.ops), CARELOOP_SERVICES_TWILIO_PORT: String(await freePort()),
    CARELOOP_LOG_LEVEL: 'debug', CARELOOP_CONSUMER_SESSION_TIMEOUT: '6s',
  });
});
after(async () => {
  await product?.stop();
  await deps.close();
  await cleanupRun(cfg);
});

function findCanaries(where: string, bytes: Buffer | string, found: string[]): void {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  for (const [name, value] of Object.entries(canaries)) {
    if (text.includes(value) || text.toLowerCase().includes(value.toLowerCase())) found.push(`${name} in ${where}`);
  }
}

async function kafkaBytes(): Promise<Buffer> {
  const kafka = new kafkajs.Kafka({ clientId: 'canary-scan', brokers: [...cfg.kafka.brokers], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(cfg.kafka.topicPrefix));
  const offsets = await Promise.all(topics.map(async (t) => ({ t, parts: await admin.fetchTopicOffsets(t) })));
  await admin.disconnect();
  const expected = offsets.reduce((n, o) => n + o.parts.reduce((m, p) => m + Number(p.high) - Number(p.low), 0), 0);
  const chunks: Buffer[] = [];
  let seen = 0;
  const consumer = kafka.consumer({ groupId: `canary-scan-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => {
    seen += 1;
    chunks.push(message.key ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0));
    for (const v of Object.values(message.headers ?? {})) chunks.push(Buffer.from(String(v)));
  } });
  const deadline = Date.now() + 30_000;
  while (seen < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  assert.equal(seen, expected, 'every record of every topic was read');
  return Buffer.concat(chunks);
}

test('canaries in names, phones, emails, messages, medication names and instructions, and FHIR-imported names, phones, addresses, identifiers, medication names, instructions and dispensed medications appear nowhere but encrypted: Kafka, Redis, ClickHouse, PostgreSQL outside the vault, logs', async (t) => {
  const pool = await deps.postgres();
  const security = await deps.security();
  const org = uniqueId('org_');
  await pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'Canary Clinic')`, [org]);
  const key = (await security.apiKeys.create(org, 'org_admin', 'canary')).token;
  const api = `http://127.0.0.1:${ports.api}`;
  const enrol = await fetch(`${api}/v1/organizations/${org}/patients`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ identity: { givenName: canaries.given, familyName: canaries.family, phone: `+1${canaries.phone}`, email: canaries.email, birthDate: '1971-07-07' }, medications: [{ name: canaries.apiMedication, dose: '500 mg', times: ['08:00'], instructions: `take with food ${canaries.apiInstructions}` }] }),
  });
  assert.equal(enrol.status, 201, await enrol.clone().text());
  const { patientId } = (await enrol.json()) as { patientId: string };

  const verify = await fetch(`http://127.0.0.1:${ports.gateway}/v1/verify/birth-date`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organizationId: org, sessionId: randomUUID(), phone: `+1${canaries.phone}`, birthDate: '1971-07-07' }),
  });
  assert.equal(verify.status, 200, await verify.clone().text());
  const { token } = (await verify.json()) as { token: string };
  await fetch(`http://127.0.0.1:${ports.gateway}/v1/verify/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ organizationId: org, sessionId: randomUUID(), phone: `+1${canaries.phone}` }) });

  const client = await ChatClient.connect(`ws://127.0.0.1:${ports.gateway}/v1/chat`, token);
  // "call me" hands the conversation to the care team, after which the bot stays quiet: it goes last.
  const ids = [`I took my pills ${canaries.text}`, `I took my ${canaries.apiMedication}`, `I need a refill of my ${canaries.apiMedication}`, `hello, I am ${canaries.given} ${canaries.family}`, `I have a headache ${canaries.text}`, `my number is ${canaries.phone}, call me ${canaries.text}`]
    .map((text) => client.send(text));
  await client.waitFor('every reply', (fs) => ids.every((id) => fs.some((f) => f.type === 'message' && f.replyTo === id)), 60_000);
  client.close();

  // A FHIR-imported patient (POST /fhir/R4, batch), with a prescription: the importer's path into the vault, care schema and signals.
  const fhirPatient = {
    resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.3.25', value: canaries.fhirIdentifier }],
    name: [{ family: canaries.fhirFamily, given: [canaries.fhirGiven] }], telecom: [{ system: 'phone', value: `+1${canaries.fhirPhone}` }],
    address: [{ line: [`12 ${canaries.fhirStreet} Road`], city: canaries.fhirCity, postalCode: '02139' }], gender: 'female', birthDate: '1966-06-06',
  };
  const bundle = { resourceType: 'Bundle', type: 'batch', entry: [
    { fullUrl: 'urn:uuid:3c1d6a52-0000-4000-8000-0000000000c1', resource: fhirPatient, request: { method: 'POST', url: 'Patient' } },
    { fullUrl: 'urn:uuid:3c1d6a52-0000-4000-8000-0000000000c2', resource: {
      resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'urn:uuid:3c1d6a52-0000-4000-8000-0000000000c1' },
      medicationCodeableConcept: { text: `${canaries.fhirMedication} 10 MG`, coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '314076', display: canaries.fhirMedicationDisplay }] },
      dosageInstruction: [{ text: `one tablet daily ${canaries.fhirInstructions}`, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }],
    }, request: { method: 'POST', url: 'MedicationRequest' } },
    { resource: {
      resourceType: 'MedicationDispense', status: 'completed', subject: { reference: 'urn:uuid:3c1d6a52-0000-4000-8000-0000000000c1' },
      authorizingPrescription: [{ reference: 'urn:uuid:3c1d6a52-0000-4000-8000-0000000000c2' }], medicationCodeableConcept: { text: canaries.fhirDispensed },
      daysSupply: { value: 30, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' }, whenHandedOver: '2026-11-20T10:00:00Z',
    }, request: { method: 'POST', url: 'MedicationDispense' } },
  ] };
  const imported = await fetch(`${api}/fhir/R4`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
  const response = (await imported.json()) as { entry: Array<{ response: { status: string } }> };
  assert.deepEqual(response.entry.map((e) => e.response.status), ['201 Created', '201 Created', '201 Created'], JSON.stringify(response));
  const back = await fetch(`${api}/fhir/R4/Patient?identifier=urn:oid:2.16.840.1.113883.4.3.25|${canaries.fhirIdentifier}`, { headers: { authorization: `Bearer ${key}` } });
  const backText = await back.text();
  for (const v of [canaries.fhirFamily, canaries.fhirStreet, canaries.fhirCity, canaries.fhirPhone]) assert.ok(backText.includes(v), 'control: the FHIR canaries are there to be found, decrypted, through the audited FHIR API');

  const fhirPatientId = (await pool.query<{ id: string }>("SELECT id FROM patients WHERE organization_id = $1 AND id <> $2", [org, patientId])).rows[0]?.id ?? '';
  const plan = await fetch(`${api}/fhir/R4/MedicationRequest?patient=${fhirPatientId}`, { headers: { authorization: `Bearer ${key}` } });
  const planText = await plan.text();
  for (const v of [canaries.fhirMedication, canaries.fhirInstructions]) assert.ok(planText.includes(v), `control: the FHIR medication canaries come back through the FHIR API: ${planText.slice(0, 300)}`);
  const sealedPlan = await pool.query<{ name: string; sealed: Buffer | null }>('SELECT name, sealed FROM patient_medications WHERE organization_id = $1', [org]);
  assert.equal(sealedPlan.rows.length, 2, 'one care-plan row from the API, one from FHIR');
  assert.ok(sealedPlan.rows.every((r) => r.name === '' && r.sealed !== null), 'both care-plan rows are sealed');

  const shown = await fetch(`${api}/v1/organizations/${org}/patients/${patientId}`, { headers: { authorization: `Bearer ${key}` } });
  const shownText = await shown.text();
  assert.ok(shownText.includes(canaries.given), 'control: the canary is there to be found, decrypted, through the audited API');
  assert.ok(shownText.includes(canaries.apiMedication) && shownText.includes(canaries.apiInstructions), 'control: the care plan opens through the audited API');
  await new Promise((r) => setTimeout(r, 3000)); // the analytics sink and actions recorder catch up

  const found: string[] = [];
  findCanaries('Kafka', await kafkaBytes(), found);
  const redis = await deps.redis();
  for await (const k of redis.scanIterator({ COUNT: 1000 })) {
    findCanaries(`Redis key ${k}`, k, found);
    const dumped = await redis.sendCommand<Buffer | null>(['DUMP', k], { returnBuffers: true });
    if (dumped !== null) findCanaries(`Redis value of ${k}`, dumped, found);
  }
  // Profiles are base64 and segment tables may be compressed in a DUMP: decode them and scan what they hold.
  const profiles = new ProfileStore(redis, profileKeyPrefix(cfg));
  let profile = await profiles.get(patientId);
  for (let i = 0; i < 40 && profile === null; i++) {
    await new Promise((r) => setTimeout(r, 500));
    profile = await profiles.get(patientId);
  }
  assert.ok(profile !== null && profile.events > 0, 'control: the chatting patient has a profile to scan');
  const raw = await redis.hGetAll(profiles.keyOf(patientId));
  const bytes = fromParts(raw);
  const decoded = [JSON.stringify(profile), bytes === null ? '' : Buffer.from(bytes).toString('latin1'), raw['s'] ?? ''].join('\n');
  findCanaries('a decoded profile', decoded, found);
  for (const id of [patientId, org, canaries.fhirIdentifier]) if (decoded.includes(id)) found.push(`an identifier (${id === patientId ? 'patient id' : id === org ? 'organisation id' : 'MRN'}) in a profile`);
  for await (const k of redis.scanIterator({ MATCH: `${profileKeyPrefix(cfg)}profile-segments:*`, COUNT: 1000 })) {
    const table = await redis.get(k as string);
    if (table !== null) {
      findCanaries(`segment table ${k}`, table, found);
      if (table.includes(patientId)) found.push(`the patient id in segment table ${k}`);
    }
  }
  const ch = createClickHouse(cfg.clickhouse);
  // Every table and view of the analytics model, the fact tables and aggregates included.
  const chTables = (await (await ch.query({ query: `SELECT name FROM system.tables WHERE database = '${cfg.clickhouse.database}' AND name NOT LIKE '.inner%'`, format: 'JSONEachRow' })).json<{ name: string }>()).map((t) => t.name);
  assert.ok(chTables.length >= 20, `the analytics model's tables: ${chTables.length}`);
  for (const table of chTables) {
    findCanaries(`ClickHouse ${table}`, await (await ch.query({ query: `SELECT * FROM ${cfg.clickhouse.database}.${table}`, format: 'TabSeparated' })).text(), found);
  }
  await ch.close();
  const { rows: tables } = await pool.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`);
  for (const { schema, name } of tables) {
    const { rows } = await pool.query<{ r: string }>(`SELECT t::text AS r FROM "${schema}"."${name}" t`);
    findCanaries(`PostgreSQL ${schema}.${name}${schema === 'vault' ? ' (vault: must hold ciphertext only)' : ''}`, rows.map((r) => r.r).join('\n'), found);
  }
  findCanaries('logs', product.output, found);
  if (product.output.includes(token)) found.push('the session token in logs');
  t.diagnostic(`canary scan: Kafka topics, ${tables.length} PostgreSQL tables (vault included), Redis, ClickHouse and ${product.output.split('\n').length} log lines`);
  assert.deepEqual(found, [], 'no canary in plaintext anywhere');
});
