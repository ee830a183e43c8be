import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { isCareloopError } from '../errors.js';
import { indexEntries, indexValues, openIdentity, sealIdentity } from './identity-cells.js';
import { isPatientId, newPatientId } from './ids.js';
import { blindDigest } from './index-keys.js';
import { normalizeBirthDate, normalizeEmail, normalizeMrn, normalizePhone } from './normalize.js';
import { afterAttempt, compileLimits, lockRemainingMs, remainingAttempts, FRESH } from './verification-policy.js';

test('phone numbers normalise to E.164; junk is refused without echoing it', () => {
  assert.equal(normalizePhone('(555) 014-2987'), '+15550142987');
  assert.equal(normalizePhone('1-555-014-2987'), '+15550142987');
  assert.equal(normalizePhone('0044 20 7946 0018'), '+442079460018');
  assert.equal(normalizePhone('020 7946 0018', '44'), '+442079460018');
  assert.throws(() => normalizePhone('12345'), (e: unknown) => isCareloopError(e) && e.code === 'VALIDATION_FAILED' && !e.message.includes('12345'));
});

test('emails lower-case, dates must be real days, MRNs ignore case and spaces', () => {
  assert.equal(normalizeEmail(' A.B@Example.ORG '), 'a.b@example.org');
  assert.equal(normalizeBirthDate('2000-02-29'), '2000-02-29');
  assert.throws(() => normalizeBirthDate('1999-02-29'));
  assert.throws(() => normalizeBirthDate('03/04/1980'));
  assert.equal(normalizeMrn(' ab 12-3 '), 'AB12-3');
});

test('patient ids are random, pseudonymous and well formed', () => {
  const ids = new Set(Array.from({ length: 1000 }, newPatientId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.ok(isPatientId(id));
});

test('blind indexes depend on the key and the kind, never reveal the value', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  assert.deepEqual(blindDigest(k1, 'phone', '+15550142987'), blindDigest(k1, 'phone', '+15550142987'));
  assert.notDeepEqual(blindDigest(k1, 'phone', '+15550142987'), blindDigest(k2, 'phone', '+15550142987'));
  assert.notDeepEqual(blindDigest(k1, 'phone', 'x'), blindDigest(k1, 'mrn', 'x'));
  assert.deepEqual(indexValues({ phone: '+1555', birthDate: '2000-01-01', identifiers: [{ system: 's', value: 'v' }] }).map((e) => e.kind), ['phone', 'phone_birth_date', 'identifier']);
  assert.equal(indexEntries(k1, { mrn: 'M1' })[0]?.digest.length, 32);
});

test('sealed identity cells open only for the same patient and field', () => {
  const key = randomBytes(32);
  const identity = { givenName: 'Ana', address: { line: ['1 Main St'], city: 'X' }, identifiers: [{ system: 's', value: 'v' }] };
  const cells = sealIdentity(key, 'org1', 'pt_a', identity);
  assert.deepEqual(openIdentity(key, 'org1', 'pt_a', cells), identity);
  assert.throws(() => openIdentity(key, 'org1', 'pt_b', cells), (e: unknown) => isCareloopError(e) && e.code === 'RECORD_INVALID');
  assert.throws(() => openIdentity(key, 'org1', 'pt_a', { familyName: cells.givenName as Buffer }));
});

test('attempt policy: failures count up, the limit locks, success clears', () => {
  const limits = compileLimits({ maxFailures: 2, lockoutMs: 1000 });
  const t0 = new Date(0);
  const one = afterAttempt(FRESH, false, t0, limits);
  assert.deepEqual(one, { failures: 1, lockedUntil: null });
  assert.equal(remainingAttempts([one, FRESH], limits, t0), 1);
  assert.equal(remainingAttempts([afterAttempt(one, false, t0, limits)], limits, t0), 0, 'none left while locked');
  const locked = afterAttempt(one, false, t0, limits);
  assert.deepEqual(locked, { failures: 0, lockedUntil: new Date(1000) });
  assert.equal(lockRemainingMs([FRESH, locked], new Date(400)), 600);
  assert.equal(lockRemainingMs([locked], new Date(1000)), 0);
  assert.deepEqual(afterAttempt(one, true, t0, limits), FRESH);
  assert.throws(() => compileLimits({ maxFailures: 0 }), /maxFailures/);
});
