import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { testConfig } from '../../test/helpers.js';
import { seedTenant } from '../../test/product.js';
import { isCareloopError } from '../errors.js';
import { createPgPool, type PgPool } from '../storage/postgres.js';
import { PatientDirectory } from './patient-directory.js';

const cfg = testConfig();
const pool = createPgPool({ ...cfg.postgres, applicationName: 'careloop-test', poolMax: 4 });
after(() => pool.end());

/** The real pool, counting the queries sent through it. */
function counting(): { pool: PgPool; count: () => number } {
  let n = 0;
  const proxy = new Proxy(pool, { get: (target, prop, receiver) => (prop === 'query' ? (...args: unknown[]) => { n++; return (target.query as (...a: unknown[]) => unknown)(...args); } : Reflect.get(target, prop, receiver) as unknown) });
  return { pool: proxy, count: () => n };
}

test('the directory reads a patient once for concurrent lookups, again after its time to live, and keeps failures out of the cache', async () => {
  const tenant = await seedTenant(cfg, 3);
  const [p0, p1, p2] = tenant.patients;
  assert.ok(p0 && p1 && p2);
  await pool.query("UPDATE patients SET timezone = 'Europe/Madrid' WHERE id = $1", [p0.id]);
  let now = 1_000_000;
  const db = counting();
  const directory = new PatientDirectory(db.pool, null, 30_000, () => now, 2);

  const same = await Promise.all([directory.patient(tenant.organizationId, p0.id), directory.patient(tenant.organizationId, p0.id), directory.timeZone(tenant.organizationId, p0.id)]);
  assert.equal(db.count(), 2, 'one query for the patient, one for the organisation');
  assert.equal(same[0].medications[0]?.name, p0.medication);
  assert.equal(same[2], 'Europe/Madrid', "the patient's own zone wins");
  assert.equal(await directory.timeZone(tenant.organizationId, p1.id), 'UTC', "no zone of the patient's: the organisation's (UTC here)");

  now += 29_000;
  await directory.patient(tenant.organizationId, p0.id);
  assert.equal(db.count(), 3, 'still cached');
  now += 2_000;
  await directory.patient(tenant.organizationId, p0.id);
  assert.equal(db.count(), 4, 'expired: read again');

  // Bounded: a third patient pushes out the oldest entry.
  await directory.patient(tenant.organizationId, p2.id);
  await directory.patient(tenant.organizationId, p1.id);
  assert.equal(db.count(), 6, 'p1 was pushed out by p0 and p2');

  const missing = `${tenant.organizationId}_nobody`;
  const isNotFound = (e: unknown) => isCareloopError(e) && e.code === 'NOT_FOUND';
  await assert.rejects(directory.patient(tenant.organizationId, missing), isNotFound);
  await pool.query('INSERT INTO patients (id, organization_id) VALUES ($1, $2)', [missing, tenant.organizationId]);
  assert.equal((await directory.patient(tenant.organizationId, missing)).id, missing, 'a failed lookup was not cached');
});
