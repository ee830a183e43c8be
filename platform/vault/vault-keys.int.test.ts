import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../audit/audit-log.js';
import { Keyring, orgKeyContext, orgKeyId } from '../crypto/keyring.js';
import { LocalMasterKey } from '../crypto/master-key.js';
import { isCareloopError } from '../errors.js';
import { openField } from './field-crypto.js';
import { OrgIndexKeys } from './index-keys.js';
import { rawVaultBytes, staff, vaultFixture, type VaultFixture } from './test-support.js';
import type { PatientIdentity } from './types.js';
import { Vault } from './vault.js';

const isCode = (code: string) => (e: unknown) => isCareloopError(e) && e.code === code;

function person(i: number): PatientIdentity {
  return { givenName: `Given${i}`, familyName: `Family${i}`, phone: `+1555010${String(i).padStart(4, '0')}`, birthDate: '1980-02-03', mrn: `M${i}` };
}

/** A vault in "another process": its own keyring, no key caching, trusting the given master keys. */
function otherProcess(fx: VaultFixture, masters: LocalMasterKey[]): Vault {
  const [first, ...rest] = masters as [LocalMasterKey, ...LocalMasterKey[]];
  const keyring = new Keyring(fx.pool, first, 0);
  for (const m of rest) keyring.trustMasterKey(m);
  return new Vault(fx.pool, keyring, new OrgIndexKeys(fx.pool, keyring, 0), new AuditLog(fx.pool));
}

describe('vault keys', () => {
  let fx: VaultFixture;
  before(async () => { fx = await vaultFixture(); });
  after(() => fx.close());

  test('master key rotation re-wraps every organisation key while reads continue; afterwards only the new key unwraps', async () => {
    const orgs = [fx.org(), fx.org()];
    const patients: Array<{ org: string; id: string; identity: PatientIdentity }> = [];
    for (const [n, org] of orgs.entries()) {
      for (let i = 0; i < 3; i++) patients.push({ org, id: (await fx.vault.createPatient(staff, org, person(n * 10 + i), 'treatment')).patientId, identity: person(n * 10 + i) });
    }
    await fx.keyring.rotateOrganizationKey(orgs[0] as string); // two key versions in one organisation
    const late = { org: orgs[0] as string, identity: person(9) };
    patients.push({ ...late, id: (await fx.vault.createPatient(staff, late.org, late.identity, 'treatment')).patientId });

    const next = new LocalMasterKey(randomBytes(32));
    const reader = otherProcess(fx, [fx.master, next]); // step 1 of a rotation: every process trusts both keys
    let rotating = true;
    let reads = 0;
    const readLoop = (async () => {
      while (rotating || reads < patients.length) {
        for (const p of patients) {
          assert.equal((await reader.getIdentity(staff, p.org, p.id, 'operations')).familyName, p.identity.familyName);
          reads++;
        }
      }
    })();
    const result = await fx.vault.rotateMasterKey(next, { organizationIds: orgs, batchSize: 1 });
    rotating = false;
    await readLoop;
    assert.deepEqual(result, { rewrapped: 3, alreadyCurrent: 0, failed: [] });
    assert.ok(reads >= patients.length, `reads kept going (${reads})`);
    assert.deepEqual(await fx.vault.rotateMasterKey(next, { organizationIds: orgs }), { rewrapped: 0, alreadyCurrent: 3, failed: [] }, 'a rerun finds nothing to do');

    const { rows } = await fx.pool.query<{ organization_id: string; version: number; wrapped_key: Buffer; master_key_id: string }>(
      'SELECT organization_id, version, wrapped_key, master_key_id FROM vault.organization_keys WHERE organization_id = ANY($1)', [orgs]);
    assert.equal(rows.length, 3);
    for (const r of rows) {
      const ctx = orgKeyContext(orgKeyId(r.organization_id, r.version));
      assert.equal(r.master_key_id, next.id);
      await assert.rejects(fx.master.unwrap(r.wrapped_key, ctx), 'the old master key unwraps nothing');
      assert.equal((await next.unwrap(r.wrapped_key, ctx)).length, 32);
    }
    const fresh = otherProcess(fx, [next]);
    for (const p of patients) assert.deepEqual(await fresh.getIdentity(staff, p.org, p.id, 'operations'), p.identity, 'data unchanged');
    assert.deepEqual(await fresh.findByMrn(staff, late.org, 'M9', 'treatment'), [patients.at(-1)?.id]);
    await assert.rejects(otherProcess(fx, [fx.master]).getIdentity(staff, late.org, patients[0]?.id as string, 'operations'), isCode('RECORD_INVALID'));
  });

  test('erasing a patient crypto-shreds it: rows stay, the organisation key stays, nothing decrypts, lookups find nothing', async () => {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, person(1), 'treatment');
    const { patientId: other } = await fx.vault.createPatient(staff, org, person(2), 'treatment');
    const { rows: [keyRow] } = await fx.pool.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM vault.patient_keys WHERE patient_id = $1', [patientId]);
    assert.ok(keyRow !== undefined);

    await fx.vault.erasePatient(staff, org, patientId, 'erasure_request');

    await assert.rejects(fx.vault.getIdentity(staff, org, patientId, 'treatment'), isCode('NOT_FOUND'));
    await assert.rejects(fx.vault.erasePatient(staff, org, patientId, 'erasure_request'), isCode('NOT_FOUND'));
    assert.deepEqual(await fx.vault.findByPhone(staff, org, person(1).phone as string, 'treatment'), []);
    assert.deepEqual(await fx.vault.findByMrn(staff, org, 'M1', 'treatment'), []);
    assert.deepEqual(await fx.vault.findByPhoneAndBirthDate(staff, org, person(1).phone as string, '1980-02-03', 'treatment'), []);

    const { rows: [row] } = await fx.pool.query<{ status: string; family_name: Buffer | null }>('SELECT status, family_name FROM vault.patients WHERE patient_id = $1', [patientId]);
    assert.equal(row?.status, 'erased');
    assert.ok(row?.family_name instanceof Buffer, 'the ciphertext is still there');
    const everything = await rawVaultBytes(fx.pool, org);
    assert.ok(!everything.some((b) => b.includes(keyRow.wrapped_key)), 'no copy of the wrapped patient key is left in the vault');

    // Every key the vault still holds for this organisation fails on the remaining ciphertext.
    const candidates = [(await fx.keyring.activeKey(org)).key, await fx.indexKeys.indexKey(org)];
    for (const key of candidates) assert.throws(() => openField(key, org, patientId, 'familyName', row.family_name as Buffer));
    assert.equal((await fx.vault.getIdentity(staff, org, other, 'treatment')).familyName, 'Family2', 'other patients and the organisation key are untouched');
  });
});
