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
    await assert.rejects(otherProcess(fx, [fx.master]).getIdentity(staff, late.org, patients[0]?.id as string, 'operations'), isCode('CONFIG_INVALID'), 'a process left with only the old key is told which key it lacks');
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

  test('organisation key rotation re-wraps every patient key and the index key under a new version while reads go on; old data stays readable', async () => {
    const org = fx.org();
    // A process of its own (earlier tests swap the fixture's master key).
    const master = new LocalMasterKey(randomBytes(32));
    const keyring = new Keyring(fx.pool, master, 60_000);
    const vault = new Vault(fx.pool, keyring, new OrgIndexKeys(fx.pool, keyring, 60_000), new AuditLog(fx.pool));
    const patients: Array<{ id: string; identity: PatientIdentity }> = [];
    for (let i = 0; i < 7; i++) patients.push({ id: (await vault.createPatient(staff, org, person(40 + i), 'treatment')).patientId, identity: person(40 + i) });
    const before = await keyring.sealText(org, 'pt_chat', 'CANARY sealed before the rotation');
    assert.equal(before.keyId, orgKeyId(org, 1));

    // A process that cached v1 as the current version just before the rotation.
    const stale = new Keyring(fx.pool, master, 60_000);
    assert.equal((await stale.activeKey(org)).keyId, orgKeyId(org, 1));
    const reader = otherProcess(fx, [master]); // another process, reading all along
    let rotating = true;
    let reads = 0;
    const readLoop = (async () => {
      while (rotating || reads < patients.length) {
        for (const p of patients) {
          assert.equal((await reader.getIdentity(staff, org, p.id, 'operations')).familyName, p.identity.familyName);
          reads++;
        }
      }
    })();
    const result = await vault.rotateOrganizationKey({ kind: 'system', id: 'test' }, org, { batchSize: 3 });
    rotating = false;
    await readLoop;
    assert.deepEqual(result, { keyId: orgKeyId(org, 2), patientKeys: 7, indexKey: true });

    const { rows } = await fx.pool.query<{ wrapping_key_id: string; n: string }>(
      'SELECT wrapping_key_id, count(*) AS n FROM vault.patient_keys WHERE organization_id = $1 GROUP BY 1', [org]);
    assert.deepEqual(rows.map((r) => [r.wrapping_key_id, Number(r.n)]), [[orgKeyId(org, 2), 7]], 'every patient key is under the new version');
    const retired = await fx.pool.query<{ version: number; retired: boolean }>('SELECT version, retired_at IS NOT NULL AS retired FROM vault.organization_keys WHERE organization_id = $1 ORDER BY version', [org]);
    assert.deepEqual(retired.rows.map((r) => [r.version, r.retired]), [[1, true], [2, false]]);

    // Everything still works: identities, blind-index lookups, text sealed before; new text uses v2.
    for (const p of patients) assert.equal((await vault.getIdentity(staff, org, p.id, 'treatment')).givenName, p.identity.givenName);
    assert.deepEqual(await vault.findByPhone(staff, org, person(43).phone as string, 'treatment'), [patients[3]?.id]);
    assert.equal(await keyring.openText(org, 'pt_chat', before), 'CANARY sealed before the rotation');
    assert.equal((await keyring.sealText(org, 'pt_chat', 'after')).keyId, orgKeyId(org, 2));

    // A patient created by a process that still had v1 cached is picked up by --resume, without a new version.
    const late = await new Vault(fx.pool, stale, new OrgIndexKeys(fx.pool, stale, 60_000), new AuditLog(fx.pool)).createPatient(staff, org, person(49), 'treatment');
    assert.ok(late.patientId);
    const resumed = await vault.rotateOrganizationKey({ kind: 'system', id: 'test' }, org, { resume: true });
    assert.equal(resumed.keyId, orgKeyId(org, 2));
    assert.deepEqual(resumed, { keyId: orgKeyId(org, 2), patientKeys: 1, indexKey: false });
    assert.deepEqual(await vault.rotateOrganizationKey({ kind: 'system', id: 'test' }, org, { resume: true }), { keyId: orgKeyId(org, 2), patientKeys: 0, indexKey: false }, 'a rerun finds nothing left');

    const audit = await fx.pool.query<{ action: string; purpose: string; outcome: string; result_count: number }>(
      "SELECT action, purpose, outcome, result_count FROM audit.events WHERE organization_id = $1 AND action = 'vault.keys.rotate' ORDER BY seq", [org]);
    assert.deepEqual(audit.rows.map((r) => [r.purpose, r.outcome, r.result_count]), [['security', 'success', 7], ['security', 'success', 1], ['security', 'success', 0]]);

    // Destroying the retired version: refused while a key still hangs off it, then old data is noise.
    const v1Patient = await new Vault(fx.pool, stale, new OrgIndexKeys(fx.pool, stale, 60_000), new AuditLog(fx.pool)).createPatient(staff, org, person(48), 'treatment');
    await assert.rejects(vault.destroyRetiredKeys({ kind: 'system', id: 'test' }, org, new Date(Date.now() + 1000)), isCode('CONFLICT'));
    await vault.rotateOrganizationKey({ kind: 'system', id: 'test' }, org, { resume: true });
    assert.deepEqual(await vault.destroyRetiredKeys({ kind: 'system', id: 'test' }, org, new Date(Date.now() - 86_400_000)), [], 'nothing retired a day ago');
    assert.deepEqual(await vault.destroyRetiredKeys({ kind: 'system', id: 'test' }, org, new Date(Date.now() + 1000)), [orgKeyId(org, 1)]);
    await assert.rejects(keyring.openText(org, 'pt_chat', before), isCode('RECORD_INVALID'), 'text sealed under v1 is unreadable now');
    assert.equal((await vault.getIdentity(staff, org, v1Patient.patientId, 'treatment')).givenName, person(48).givenName, 'patients re-wrapped under v2 read as ever');
    for (const p of patients) assert.equal((await reader.getIdentity(staff, org, p.id, 'treatment')).givenName, p.identity.givenName);
    const destroyAudit = await fx.pool.query<{ outcome: string; reason: string | null; result_count: number | null }>(
      "SELECT outcome, reason, result_count FROM audit.events WHERE organization_id = $1 AND action = 'vault.keys.destroy' ORDER BY seq", [org]);
    assert.deepEqual(destroyAudit.rows.map((r) => [r.outcome, r.reason, r.result_count]), [['failure', 'conflict', null], ['success', null, 0], ['success', null, 1]]);
  });
});
