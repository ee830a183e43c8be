import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../audit/types.js';
import { staff, vaultFixture, type VaultFixture } from './test-support.js';
import { IdentityVerifier, type Subject } from './verification.js';
import { PgVerificationStore } from './verification-store.js';

const gateway: Actor = { kind: 'service', id: 'chat-gateway', service: 'gateway' };
const PHONE = '+15550177123';
const DOB = '1972-11-05';

describe('identity verification', () => {
  let fx: VaultFixture;
  let clock = new Date('2026-11-24T10:00:00Z');
  const now = () => clock;
  before(async () => { fx = await vaultFixture(); });
  after(() => fx.close());

  function verifier(limits = {}): IdentityVerifier {
    return new IdentityVerifier(fx.vault, new PgVerificationStore(fx.pool), fx.indexKeys, fx.audit, { limits, now });
  }

  async function patient(): Promise<{ org: string; patientId: string; web: Subject }> {
    const org = fx.org();
    const { patientId } = await fx.vault.createPatient(staff, org, { givenName: 'Ines', phone: PHONE, birthDate: DOB }, 'treatment');
    return { org, patientId, web: { channel: 'web', address: `session-${patientId}` } };
  }

  test('phone + date of birth recognise the patient; a wrong date does not', async () => {
    const { org, patientId, web } = await patient();
    const v = verifier();
    assert.deepEqual(await v.verifyByBirthDate(gateway, org, web, '555 017 7123', '1972-11-06'), { status: 'failed', reason: 'no_match', remainingAttempts: 4 });
    assert.deepEqual(await v.verifyByBirthDate(gateway, org, web, '555 017 7123', DOB), { status: 'verified', patientId });
    assert.deepEqual(await v.verifyByBirthDate(gateway, org, { channel: 'sms', address: PHONE }, PHONE, DOB), { status: 'verified', patientId });
  });

  test('N failures lock the subject and the targeted phone, even from a new session, until the lockout ends', async () => {
    const { org, patientId, web } = await patient();
    const v = verifier({ maxFailures: 3, lockoutMs: 15 * 60_000 });
    for (const left of [2, 1, 0]) {
      assert.deepEqual(await v.verifyByBirthDate(gateway, org, web, PHONE, '1900-01-01'), { status: 'failed', reason: 'no_match', remainingAttempts: left });
    }
    assert.deepEqual(await v.verifyByBirthDate(gateway, org, web, PHONE, DOB), { status: 'locked', retryAfterMs: 15 * 60_000 }, 'the right answer is refused while locked');
    const fresh: Subject = { channel: 'web', address: 'another-session' };
    assert.equal((await v.verifyByBirthDate(gateway, org, fresh, PHONE, DOB)).status, 'locked', 'a new session does not reset the phone');
    assert.equal((await v.issueCode(gateway, org, fresh, PHONE)).status, 'locked');
    clock = new Date(clock.getTime() + 15 * 60_000 + 1);
    assert.deepEqual(await v.verifyByBirthDate(gateway, org, web, PHONE, DOB), { status: 'verified', patientId });
    const { rows } = await fx.pool.query<{ action: string; outcome: string; reason: string | null }>(
      "SELECT action, outcome, reason FROM audit.events WHERE organization_id = $1 AND action LIKE 'verification.%' ORDER BY seq", [org]);
    assert.deepEqual(rows.map((r) => `${r.outcome}:${r.reason ?? ''}`), ['failure:no_match', 'failure:no_match', 'failure:no_match', 'denied:locked', 'denied:locked', 'denied:locked', 'success:'], 'every attempt audited');
  });

  test('parallel guesses cannot race past the limit', async () => {
    const { org, web } = await patient();
    const v = verifier({ maxFailures: 5 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => v.verifyByBirthDate(gateway, org, web, PHONE, `1950-01-${String(i + 1).padStart(2, '0')}`)));
    assert.equal(results.filter((r) => r.status === 'failed').length, 5);
    assert.equal(results.filter((r) => r.status === 'locked').length, 7);
  });

  test('a one-time code verifies once, within ten minutes, only for the session it was issued to', async () => {
    const { org, patientId, web } = await patient();
    const v = verifier();
    const issued = await v.issueCode(gateway, org, web, '(555) 017-7123');
    assert.ok(issued.status === 'issued');
    assert.match(issued.code, /^\d{6}$/);
    assert.equal(issued.sendTo, PHONE);
    assert.equal(issued.expiresAt.getTime() - clock.getTime(), 10 * 60_000);
    const { rows } = await fx.pool.query<{ code_hash: Buffer }>('SELECT code_hash FROM vault.verification_codes WHERE organization_id = $1', [org]);
    assert.ok(rows.length === 1 && !rows[0]?.code_hash.includes(Buffer.from(issued.code)), 'only a keyed hash is stored');
    const wrong = issued.code === '000000' ? '000001' : '000000';
    assert.deepEqual(await v.verifyCode(gateway, org, web, wrong), { status: 'failed', reason: 'code_mismatch', remainingAttempts: 4 });
    assert.deepEqual(await v.verifyCode(gateway, org, { channel: 'web', address: 'someone-else' }, issued.code), { status: 'failed', reason: 'no_code', remainingAttempts: 4 });
    assert.deepEqual(await v.verifyCode(gateway, org, web, ` ${issued.code} `), { status: 'verified', patientId });
    assert.deepEqual(await v.verifyCode(gateway, org, web, issued.code), { status: 'failed', reason: 'code_used', remainingAttempts: 4 }, 'reuse is refused');
  });

  test('an expired code is refused even when right', async () => {
    const { org, web } = await patient();
    const v = verifier();
    const issued = await v.issueCode(gateway, org, web, PHONE);
    assert.ok(issued.status === 'issued');
    clock = new Date(clock.getTime() + 10 * 60_000);
    assert.deepEqual(await v.verifyCode(gateway, org, web, issued.code), { status: 'failed', reason: 'code_expired', remainingAttempts: 4 });
  });

  test('no code is issued for an unknown number, and the answer does not say more than that', async () => {
    const { org, web } = await patient();
    assert.deepEqual(await verifier().issueCode(gateway, org, web, '+15559990000'), { status: 'no_match' });
  });
});
