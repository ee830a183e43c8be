import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isCareloopError } from '../errors.js';
import { vaultFixture, type VaultFixture } from '../vault/test-support.js';
import { carePlanTextColumns, openCarePlanText, sealCarePlanBacklog, sealCarePlanText, type CarePlanTextCells } from './care-plan-text.js';

let fx: VaultFixture;
const orgs: string[] = [];
before(async () => { fx = await vaultFixture(); });
after(async () => {
  await fx.pool.query('DELETE FROM patients WHERE organization_id = ANY($1)', [orgs]);
  await fx.pool.query('DELETE FROM organizations WHERE id = ANY($1)', [orgs]);
  await fx.close();
});

async function tenant(): Promise<{ org: string; patient: string }> {
  const org = fx.org();
  orgs.push(org);
  await fx.pool.query(`INSERT INTO organizations (id, slug, display_name) VALUES ($1, $1, 'Care plan test')`, [org]);
  const patient = `pt_${org}`;
  await fx.pool.query('INSERT INTO patients (id, organization_id) VALUES ($1, $2)', [patient, org]);
  return { org, patient };
}

const rows = async (org: string): Promise<CarePlanTextCells[]> =>
  (await fx.pool.query<CarePlanTextCells>(`SELECT ${carePlanTextColumns()} FROM patient_medications WHERE organization_id = $1 ORDER BY id`, [org])).rows;

test('sealed care-plan text opens for its own row only; the plain columns stay empty', async () => {
  const { org, patient } = await tenant();
  const text = { name: 'Metformin', dose: '500 mg', instructions: 'with breakfast' };
  const s = await sealCarePlanText(fx.keyring, org, patient, `${patient}_a`, text);
  await fx.pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, key_id, sealed, schedule_times) VALUES ($1, $2, $3, $4, $5, ARRAY['08:00']), ($6, $2, $3, $4, $5, ARRAY['08:00'])`,
    [`${patient}_a`, patient, org, s.keyId, s.sealed, `${patient}_b`]);
  const [a, b] = await rows(org);
  assert.ok(a && b);
  assert.equal(a.name, '');
  assert.ok(!a.sealed?.toString('latin1').includes('Metformin'), 'ciphertext, not the name');
  assert.deepEqual(await openCarePlanText(fx.keyring, a), text);
  // The same cell copied onto another row does not open: it is bound to organisation, patient and row id.
  await assert.rejects(openCarePlanText(fx.keyring, b), (e: unknown) => isCareloopError(e) && e.code === 'RECORD_INVALID');
  await assert.rejects(openCarePlanText(null, a), (e: unknown) => isCareloopError(e) && e.code === 'INTERNAL');
});

test('the backlog seals plaintext rows of the organisations named, once, and leaves nothing readable behind', async () => {
  const { org, patient } = await tenant();
  const other = await tenant();
  for (const [t, id, name] of [[{ org, patient }, 'x', 'Lisinopril'], [{ org, patient }, 'y', 'Atorvastatin'], [other, 'z', 'Amlodipine']] as const) {
    await fx.pool.query(`INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, instructions, schedule_times) VALUES ($1, $2, $3, $4, '10 mg', 'at night', ARRAY['21:00'])`,
      [`${t.patient}_${id}`, t.patient, t.org, name]);
  }
  assert.deepEqual((await rows(org)).map((r) => r.name).sort(), ['Atorvastatin', 'Lisinopril'], 'plaintext rows, as an older writer left them');
  // A legacy row reads as it is before the backlog runs.
  assert.equal((await openCarePlanText(fx.keyring, (await rows(org))[0] as CarePlanTextCells)).dose, '10 mg');

  const first = await sealCarePlanBacklog(fx.pool, fx.keyring, { organizationIds: [org], batchSize: 1 });
  assert.deepEqual(first, { sealed: 2, failed: [] });
  const sealed = await rows(org);
  assert.ok(sealed.every((r) => r.name === '' && r.dose === '' && r.instructions === '' && r.sealed !== null));
  assert.deepEqual((await Promise.all(sealed.map((r) => openCarePlanText(fx.keyring, r)))).map((t) => t.name).sort(), ['Atorvastatin', 'Lisinopril']);
  assert.equal((await rows(other.org))[0]?.name, 'Amlodipine', 'an organisation not named is left alone');
  assert.deepEqual(await sealCarePlanBacklog(fx.pool, fx.keyring, { organizationIds: [org] }), { sealed: 0, failed: [] }, 'a second run has nothing to do');
});
