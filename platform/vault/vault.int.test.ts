import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEventInput, AuditSink, AuditTransaction } from '../audit/types.js';
import { CareloopError, isCareloopError } from '../errors.js';
import { Vault } from './vault.js';
import { rawVaultBytes, staff, vaultFixture, type VaultFixture } from './test-support.js';
import type { PatientIdentity } from './types.js';

const isCode = (code: string) => (e: unknown) => isCareloopError(e) && e.code === code;

const alice: PatientIdentity = {
  givenName: 'Zephyrine', familyName: 'Quackenbush', phone: '(555) 014-2987', email: 'Zephyrine.Q@Example.org',
  birthDate: '1961-04-17', address: { line: ['12 Wolverhampton Mews'], city: 'Springfield', postalCode: '90210' },
  mrn: 'mrn-77 3309', identifiers: [{ system: 'urn:insurer:acme', value: 'MEMBER-XK4411' }],
};
// Strings that must never appear in any vault row, in any form we store.
const CANARIES = ['Zephyrine', 'zephyrine', 'Quackenbush', '5550142987', '555) 014', 'example.org', '1961-04-17', 'Wolverhampton', 'MRN-773309', 'MEMBER-XK4411', '90210'];

describe('vault', () => {
  let fx: VaultFixture;
  before(async () => { fx = await vaultFixture(); });
  after(() => fx.close());

  test('an identity round-trips, normalised, under a pseudonymous id', async () => {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, alice, 'treatment');
    assert.match(patientId, /^pt_[0-9A-Za-z]{22}$/);
    assert.deepEqual(await fx.vault.getIdentity(staff, org, patientId, 'treatment'), {
      ...alice, phone: '+15550142987', email: 'zephyrine.q@example.org', mrn: 'MRN-773309',
    });
  });

  test('lookups by phone, MRN, email, identifier and phone + date of birth go through blind indexes', async () => {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, alice, 'treatment');
    const { patientId: sibling } = await fx.vault.createPatient(staff, org, { phone: '+1 555 014 2987', birthDate: '1990-01-01' }, 'treatment');
    assert.deepEqual(await fx.vault.findByPhone(staff, org, '555-014-2987', 'treatment'), [patientId, sibling].sort());
    assert.deepEqual(await fx.vault.findByPhoneAndBirthDate(staff, org, '+15550142987', '1961-04-17', 'treatment'), [patientId]);
    assert.deepEqual(await fx.vault.findByPhoneAndBirthDate(staff, org, '+15550142987', '1961-04-18', 'treatment'), []);
    assert.deepEqual(await fx.vault.findByMrn(staff, org, 'MRN-773309', 'treatment'), [patientId]);
    assert.deepEqual(await fx.vault.findByEmail(staff, org, 'ZEPHYRINE.q@example.org ', 'treatment'), [patientId]);
    assert.deepEqual(await fx.vault.findByIdentifier(staff, org, 'urn:insurer:acme', 'MEMBER-XK4411', 'treatment'), [patientId]);
  });

  test('no vault row holds plaintext: every column of every row is scanned for the canaries', async () => {
    const org = fx.org();
    await fx.vault.createPatient(staff, org, alice, 'treatment');
    const bytes = await rawVaultBytes(fx.pool, org);
    assert.ok(bytes.length > 10, 'the scan saw the rows');
    for (const b of bytes) {
      for (const canary of CANARIES) assert.ok(!b.includes(Buffer.from(canary, 'utf8')), `a vault column contains "${canary}"`);
    }
  });

  test("another organisation's calls see nothing: not found, no lookups, no hint", async () => {
    const orgA = fx.org();
    const orgB = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, orgA, alice, 'treatment');
    await assert.rejects(fx.vault.getIdentity(staff, orgB, patientId, 'treatment'), (e: unknown) => isCode('NOT_FOUND')(e) && (e as Error).message === 'patient not found');
    await assert.rejects(fx.vault.updateIdentity(staff, orgB, patientId, { givenName: 'X' }, 'treatment'), isCode('NOT_FOUND'));
    await assert.rejects(fx.vault.erasePatient(staff, orgB, patientId, 'treatment'), isCode('NOT_FOUND'));
    assert.deepEqual(await fx.vault.findByPhone(staff, orgB, alice.phone as string, 'treatment'), []);
    assert.deepEqual(await fx.vault.findByMrn(staff, orgB, alice.mrn as string, 'treatment'), []);
    assert.equal((await fx.vault.getIdentity(staff, orgA, patientId, 'treatment')).familyName, 'Quackenbush');
  });

  test('an update re-seals fields and moves the blind indexes; null removes a field', async () => {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, alice, 'treatment');
    await fx.vault.updateIdentity(staff, org, patientId, { phone: '+44 20 7946 0018', email: null }, 'treatment');
    const identity = await fx.vault.getIdentity(staff, org, patientId, 'treatment');
    assert.equal(identity.phone, '+442079460018');
    assert.equal(identity.email, undefined);
    assert.equal(identity.givenName, 'Zephyrine');
    assert.deepEqual(await fx.vault.findByPhone(staff, org, alice.phone as string, 'treatment'), []);
    assert.deepEqual(await fx.vault.findByPhoneAndBirthDate(staff, org, '+442079460018', '1961-04-17', 'treatment'), [patientId]);
    assert.deepEqual(await fx.vault.findByEmail(staff, org, alice.email as string, 'treatment'), []);
  });

  test('a field moved onto another patient does not decrypt (associated data binds org, patient, field)', async () => {
    const org = fx.org();
    const { patientId: a } = await fx.vault.createPatient(staff, org, alice, 'treatment');
    await fx.pool.query('UPDATE vault.patients SET email = phone WHERE patient_id = $1', [a]);
    await assert.rejects(fx.vault.getIdentity(staff, org, a, 'treatment'), (e: unknown) => isCode('RECORD_INVALID')(e) && !String((e as Error).message).includes('555'));
  });

  test('bad input is refused with the field named and the value withheld', async () => {
    const org = fx.org();
    await assert.rejects(fx.vault.createPatient(staff, org, { phone: 'call me maybe 12' }, 'treatment'),
      (e: unknown) => isCode('VALIDATION_FAILED')(e) && (e as Error).message === 'phone is not valid');
    await assert.rejects(fx.vault.createPatient(staff, org, { birthDate: '1961-02-30' }, 'treatment'), isCode('VALIDATION_FAILED'));
  });

  test('every read and write is audited with who, which patient, what and why, and no PHI', async () => {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, alice, 'treatment');
    await fx.vault.getIdentity(staff, org, patientId, 'operations');
    await fx.vault.findByPhone(staff, org, alice.phone as string, 'treatment');
    await assert.rejects(fx.vault.getIdentity(staff, org, 'pt_0000000000000000000000', 'treatment'));
    const { rows } = await fx.pool.query<Record<string, unknown>>('SELECT * FROM audit.events WHERE organization_id = $1 ORDER BY seq', [org]);
    assert.deepEqual(rows.map((r) => [r['action'], r['patient_id'], r['purpose'], r['outcome']]), [
      ['vault.patient.create', patientId, 'treatment', 'success'],
      ['vault.identity.read', patientId, 'operations', 'success'],
      ['vault.lookup', patientId, 'treatment', 'success'],
      ['vault.identity.read', 'pt_0000000000000000000000', 'treatment', 'failure'],
    ]);
    assert.deepEqual([rows[0]?.['actor_kind'], rows[0]?.['actor_id'], rows[0]?.['actor_ip'], rows[0]?.['actor_service']], ['staff', 'nurse-7', '10.1.2.3', 'api']);
    const text = JSON.stringify(rows);
    for (const canary of CANARIES) assert.ok(!text.includes(canary), `audit holds "${canary}"`);
  });

  test('a write and its audit event commit together: when the audit append fails, the write is undone', async () => {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, alice, 'treatment');
    // The real audit log, except that appends joining a transaction fail (the database refusing mid-commit).
    const failing: AuditSink = {
      record: (event: AuditEventInput, within?: AuditTransaction) => within === undefined
        ? fx.audit.record(event)
        : Promise.reject(new CareloopError('DEPENDENCY_UNAVAILABLE', 'audit append failed')),
    };
    const vault = new Vault(fx.pool, fx.keyring, fx.indexKeys, failing);
    await assert.rejects(vault.createPatient(staff, org, { phone: '+1 555 010 9999' }, 'treatment'), isCode('DEPENDENCY_UNAVAILABLE'));
    await assert.rejects(vault.updateIdentity(staff, org, patientId, { familyName: 'Changed' }, 'treatment'), isCode('DEPENDENCY_UNAVAILABLE'));
    await assert.rejects(vault.erasePatient(staff, org, patientId, 'treatment'), isCode('DEPENDENCY_UNAVAILABLE'));
    assert.deepEqual(await fx.vault.findByPhone(staff, org, '+1 555 010 9999', 'treatment'), [], 'the failed create left no patient');
    assert.equal((await fx.vault.getIdentity(staff, org, patientId, 'treatment')).familyName, 'Quackenbush', 'the failed update and erase changed nothing');
    const { rows } = await fx.pool.query<{ action: string; outcome: string; reason: string | null }>(
      'SELECT action, outcome, reason FROM audit.events WHERE organization_id = $1 ORDER BY seq', [org]);
    assert.deepEqual(rows.slice(1, 4).map((r) => [r.action, r.outcome, r.reason]), [
      ['vault.patient.create', 'failure', 'dependency_unavailable'],
      ['vault.identity.update', 'failure', 'dependency_unavailable'],
      ['vault.patient.erase', 'failure', 'dependency_unavailable'],
    ]);
  });
});
