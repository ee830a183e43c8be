import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { prepare } from '../bootstrap.js';
import { createPgPool, type PgPool } from '../storage/postgres.js';
import { testConfig } from '../../test/helpers.js';
import { seedTenant } from '../../test/product.js';
import { hashPassword, StaffAccounts, verifyPassword } from './staff-accounts.js';

const cfg = testConfig();
let pool: PgPool;
let org = '';

before(async () => {
  await prepare(cfg);
  org = (await seedTenant(cfg, 0)).organizationId;
  pool = createPgPool({ ...cfg.postgres, poolMax: 2, applicationName: 'careloop-test-staff' });
});
after(async () => { await pool?.end(); });

test('passwords are kept as salted scrypt hashes and verified in constant time', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b, 'a fresh salt each time');
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('x', 'md5$abc'), false);
});

test('accounts: unique live e-mail, sign-in by address and password, removal stops sign-in', async () => {
  const staff = new StaffAccounts(pool);
  const email = `Nurse.${org}@Clinic.test`;
  const created = await staff.create(org, { email, name: 'Noor', role: 'care_team', password: 'twelve-chars-ok' });
  await assert.rejects(staff.create(org, { email: email.toLowerCase(), name: 'Again', role: 'analyst', password: 'twelve-chars-ok' }), { code: 'CONFLICT' });
  await assert.rejects(staff.create(org, { email: `x-${org}@clinic.test`, name: 'Short', role: 'analyst', password: 'short' }), { code: 'VALIDATION_FAILED' });
  await assert.rejects(staff.create(org, { email: 'not-an-address', name: 'Bad', role: 'analyst', password: 'twelve-chars-ok' }), { code: 'VALIDATION_FAILED' });
  assert.equal((await staff.authenticate(email.toUpperCase(), 'twelve-chars-ok'))?.id, created.id, 'the address is case-insensitive');
  assert.equal(await staff.authenticate(email, 'twelve-chars-no'), null);
  assert.equal(await staff.authenticate(`nobody-${org}@clinic.test`, 'twelve-chars-ok'), null);
  const stored = await pool.query<{ password_hash: string }>('SELECT password_hash FROM auth.staff_accounts WHERE id = $1', [created.id]);
  assert.ok(!stored.rows[0]?.password_hash.includes('twelve'), 'no plaintext password is stored');
  assert.deepEqual((await staff.list(org)).map((a) => a.id), [created.id]);
  assert.equal(await staff.remove('org_other', created.id), false, 'another organisation cannot remove it');
  assert.equal(await staff.remove(org, created.id), true);
  assert.equal(await staff.authenticate(email, 'twelve-chars-ok'), null, 'a removed account cannot sign in');
  assert.deepEqual(await staff.list(org), []);
});

test('a partner account names its partner; no other role does', async () => {
  const staff = new StaffAccounts(pool);
  await assert.rejects(staff.create(org, { email: `p0-${org}@pharma.test`, name: 'P', role: 'partner', password: 'twelve-chars-ok' }), { code: 'VALIDATION_FAILED' });
  await assert.rejects(staff.create(org, { email: `p1-${org}@pharma.test`, name: 'P', role: 'analyst', password: 'twelve-chars-ok', partnerId: 'pharma-x' }), { code: 'VALIDATION_FAILED' });
  const p = await staff.create(org, { email: `p2-${org}@pharma.test`, name: 'Pat Partner', role: 'partner', password: 'twelve-chars-ok', partnerId: 'pharma-x' });
  assert.equal((await staff.get(p.id))?.partnerId, 'pharma-x');
});
