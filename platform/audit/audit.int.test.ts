import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { isCareloopError } from '../errors.js';
import { repoRoot } from '../paths.js';
import { createPgPool, migratePostgres } from '../storage/postgres.js';
import { AuditLog } from './audit-log.js';
import { asAuditOwner } from './test-support.js';
import type { AuditEventInput } from './types.js';
import { verifyAuditChain } from './verify.js';

const pool = createPgPool({ ...testConfig().postgres, applicationName: 'careloop-test', poolMax: 10 });

function event(organizationId: string, i: number): AuditEventInput {
  return {
    organizationId, actor: { kind: 'staff', id: `nurse-${i % 3}`, ip: '192.0.2.7' }, action: 'vault.identity.read',
    patientId: `pt_${String(i).padStart(22, '0')}`, purpose: 'treatment', outcome: 'success', fields: ['phone'],
  };
}

async function ids(org: string): Promise<string[]> {
  return (await pool.query<{ id: string }>('SELECT id FROM audit.events WHERE organization_id = $1 ORDER BY seq', [org])).rows.map((r) => r.id);
}

/** Changes rows the way someone with owner rights on the table could. */
const asOwner = (sql: string, params: unknown[]): Promise<void> => asAuditOwner(pool, [[sql, params]]);

describe('audit log', () => {
  const log = new AuditLog(pool);
  before(() => migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres')));
  after(() => pool.end());

  test('appended events form a chain that verifies', async () => {
    const org = uniqueId('org');
    for (let i = 0; i < 5; i++) assert.equal((await log.record(event(org, i))).seq, i + 1);
    assert.deepEqual(await verifyAuditChain(pool, { organizationId: org, batchSize: 2 }), { ok: true, rows: 5 });
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE, and a chain head cannot move back', async () => {
    const org = uniqueId('org');
    await log.record(event(org, 1));
    const refused = /append-only|only advances/;
    await assert.rejects(pool.query("UPDATE audit.events SET purpose = 'payment' WHERE organization_id = $1", [org]), refused);
    await assert.rejects(pool.query('DELETE FROM audit.events WHERE organization_id = $1', [org]), refused);
    await assert.rejects(pool.query('TRUNCATE audit.events'), refused);
    await assert.rejects(pool.query('UPDATE audit.chain_heads SET last_seq = 0 WHERE organization_id = $1', [org]), refused);
    await assert.rejects(pool.query('DELETE FROM audit.chain_heads WHERE organization_id = $1', [org]), refused);
  });

  test('a changed row is found at that row; a removed row at the one after it', async () => {
    const org = uniqueId('org');
    for (let i = 0; i < 6; i++) await log.record(event(org, i));
    const [, , third, fourth] = await ids(org);
    await asOwner("UPDATE audit.events SET purpose = 'payment' WHERE id = $1", [third]);
    try {
      assert.deepEqual(await verifyAuditChain(pool, { organizationId: org }), { ok: false, rows: 2, firstBrokenId: third, organizationId: org, reason: 'hash_mismatch' });
    } finally {
      await asOwner("UPDATE audit.events SET purpose = 'treatment' WHERE id = $1", [third]); // leave the shared database's chains valid
    }
    assert.equal((await verifyAuditChain(pool, { organizationId: org })).ok, true);

    const { rows: [saved] } = await pool.query<Record<string, unknown>>('SELECT * FROM audit.events WHERE id = $1', [third]);
    await asOwner('DELETE FROM audit.events WHERE id = $1', [third]);
    try {
      const r = await verifyAuditChain(pool, { organizationId: org });
      assert.deepEqual([r.ok, r.firstBrokenId, r.reason], [false, fourth, 'seq_gap']);
    } finally {
      const cols = Object.keys(saved ?? {});
      await asOwner(`INSERT INTO audit.events (${cols.join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(saved ?? {}));
    }
    assert.equal((await verifyAuditChain(pool, { organizationId: org })).ok, true);
  });

  test('parallel appenders keep every chain contiguous and valid', async () => {
    const orgs = [uniqueId('org'), uniqueId('org')];
    const logs = [new AuditLog(pool), new AuditLog(pool)]; // two "processes"
    await Promise.all(Array.from({ length: 120 }, (_, i) => (logs[i % 2] as AuditLog).record(event(orgs[i % 3 === 0 ? 0 : 1] as string, i))));
    for (const org of orgs) {
      const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM audit.events WHERE organization_id = $1 ORDER BY seq', [org]);
      assert.deepEqual(rows.map((r) => Number(r.seq)), rows.map((_, i) => i + 1));
      assert.equal((await verifyAuditChain(pool, { organizationId: org })).ok, true);
    }
  });

  test('events with free text where codes go are refused before they reach the table', async () => {
    const org = uniqueId('org');
    const bad: Array<Partial<AuditEventInput>> = [
      { reason: 'Zephyrine called about her pills' }, { fields: ['+15550142987'] }, { patientId: 'Zephyrine Quackenbush' },
      { action: 'read' }, { actor: { kind: 'staff', id: 'nurse', ip: 'not-an-ip' } },
    ];
    for (const change of bad) {
      await assert.rejects(log.record({ ...event(org, 1), ...change }), (e: unknown) => isCareloopError(e) && e.code === 'VALIDATION_FAILED' && !e.message.includes('Zephyrine'));
    }
  });
});
