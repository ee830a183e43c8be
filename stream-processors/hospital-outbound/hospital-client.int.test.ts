import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { FhirHospital } from '../../test/fhir-hospital.js';
import { HospitalClient, HospitalError } from './hospital-client.js';

const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: typeof good): string => k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const smartHospital = new FhirHospital({ smart: { clientId: 'careloop', publicKeyPem: good.publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
const bearerHospital = new FhirHospital({ bearerToken: 'right-token' });
const start = Date.parse('2030-03-04T09:00:00Z');

before(async () => {
  await Promise.all([smartHospital.start(), bearerHospital.start()]);
  for (const h of [smartHospital, bearerHospital]) h.seed({ resourceType: 'Slot', id: 's1', status: 'free', schedule: { reference: 'Schedule/x' }, start: new Date(start).toISOString(), end: new Date(start + 1_800_000).toISOString() });
});
after(async () => { await Promise.all([smartHospital.stop(), bearerHospital.stop()]); });

const refusal = async (p: Promise<unknown>): Promise<string> => {
  try { await p; return 'no error'; } catch (err) { return err instanceof HospitalError ? `${err.answer.kind}:${err.answer.reason}` : String(err); }
};

test('SMART backend services: a signed assertion buys a token the hospital accepts; a foreign key is refused, not retried', async () => {
  const tokenUrl = `${smartHospital.baseUrl.replace(/\/fhir$/, '')}/auth/token`;
  const client = new HospitalClient({ baseUrl: smartHospital.baseUrl, auth: { kind: 'smart_backend', clientId: 'careloop', tokenUrl, scope: 'system/Slot.rs', kid: 'k1', privateKeyPem: pem(good) } }, 2000, Date.now);
  assert.deepEqual((await client.slotsStartingAt(start)).map((s) => s['id']), ['s1']);
  await client.slotsStartingAt(start); // the cached token is reused
  const impostor = new HospitalClient({ baseUrl: smartHospital.baseUrl, auth: { kind: 'smart_backend', clientId: 'careloop', tokenUrl, scope: 'system/Slot.rs', kid: 'k1', privateKeyPem: pem(other) } }, 2000, Date.now);
  assert.equal(await refusal(impostor.slotsStartingAt(start)), 'refused:not_allowed');
  const anonymous = new HospitalClient({ baseUrl: smartHospital.baseUrl, auth: { kind: 'none' } }, 2000, Date.now);
  assert.equal(await refusal(anonymous.slotsStartingAt(start)), 'refused:not_allowed');
});

test('a bearer token: the right one is accepted, a wrong one refused; an unreachable hospital is retried', async () => {
  const ok = new HospitalClient({ baseUrl: bearerHospital.baseUrl, auth: { kind: 'bearer', token: 'right-token' } }, 2000, Date.now);
  assert.equal((await ok.read('Slot', 's1'))['status'], 'free');
  const wrong = new HospitalClient({ baseUrl: bearerHospital.baseUrl, auth: { kind: 'bearer', token: 'wrong' } }, 2000, Date.now);
  assert.equal(await refusal(wrong.read('Slot', 's1')), 'refused:not_allowed');
  const gone = new HospitalClient({ baseUrl: 'http://127.0.0.1:9/fhir', auth: { kind: 'none' } }, 2000, Date.now);
  assert.equal(await refusal(gone.read('Slot', 's1')), 'retry:timeout');
  assert.equal(await refusal(ok.read('Slot', 'nope')), 'refused:not_found');
});
