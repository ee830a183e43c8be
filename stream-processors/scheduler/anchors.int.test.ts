import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createTestTopics, eventually, silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { scheduler } from './main.js';
import { allTopics } from '../../platform/kafka/topics.js';
import { repoRoot } from '../../platform/paths.js';
import { Dependencies } from '../../platform/service/dependencies.js';
import { createMetrics } from '../../platform/service/metrics.js';
import { migratePostgres } from '../../platform/storage/postgres.js';
import { checkAnchors, readAnchors } from '../../platform/audit/anchors.js';
import { AuditLog } from '../../platform/audit/audit-log.js';
import { canonicalContent, chainHash } from '../../platform/audit/chain.js';
import { asAuditOwner } from '../../platform/audit/test-support.js';
import type { AuditEventInput } from '../../platform/audit/types.js';
import { verifyAuditChain } from '../../platform/audit/verify.js';

const cfg = testConfig({ 'audit.anchorInterval': '200ms' });
const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const event = (organizationId: string, i: number): AuditEventInput => ({
  organizationId, actor: { kind: 'service', id: 'dialogue', service: 'dialogue' }, action: 'vault.identity.read',
  patientId: `pt_${String(i).padStart(22, '0')}`, purpose: 'treatment', outcome: 'success', fields: ['givenName'],
});

const asOwner = asAuditOwner;

test('the scheduler anchors audit chain heads in Kafka; a chain rewritten or cut short in the database verifies on its own but fails against its anchor', async () => {
  cleanups.push(await createTestTopics(cfg, allTopics().filter((t) => t.name === 'audit.anchors' || t.name === 'patient.signals')));
  const deps = new Dependencies(cfg, silentLogger);
  cleanups.push(() => deps.close());
  const pool = await deps.postgres();
  await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
  const org = uniqueId('org');
  const log = new AuditLog(pool);
  for (let i = 1; i <= 5; i++) await log.record(event(org, i));

  const metrics = createMetrics(false);
  const service = await scheduler.start({ cfg, log: silentLogger, metrics, deps, now: Date.now });
  cleanups.push(() => service.stop());
  const topic = `${cfg.kafka.topicPrefix}audit.anchors`;
  const catalogue = await deps.catalogue();
  const anchors = await eventually(async () => {
    const latest = await readAnchors(cfg.kafka, topic, catalogue);
    return latest.get(org)?.seq === 5 ? latest : undefined;
  }, 60_000, 'the anchor of the new chain');
  assert.deepEqual(await checkAnchors(pool, anchors, org), { ok: true, checked: 1 });
  const lastSuccess = (await metrics.taskLastSuccess.get()).values.find((v) => v.labels['task'] === 'audit_anchor')?.value ?? 0;
  assert.ok(Math.abs(lastSuccess - Date.now() / 1000) < 60, `the last-success gauge is recent (${lastSuccess})`);

  // A sixth event moves the head; the next round anchors it.
  await log.record(event(org, 6));
  const moved = await eventually(async () => {
    const latest = await readAnchors(cfg.kafka, topic, catalogue);
    return latest.get(org)?.seq === 6 ? latest : undefined;
  }, 60_000, 'the anchor to follow the head');
  await service.stop();

  const { rows } = await pool.query<{ seq: string; prev_hash: Buffer; row_hash: Buffer; at: Date } & Record<string, unknown>>(
    'SELECT * FROM audit.events WHERE organization_id = $1 ORDER BY seq', [org]);
  const [fifth, sixth] = [rows[4], rows[5]];
  assert.ok(fifth !== undefined && sixth !== undefined);
  const restoreSixth = async (): Promise<void> => {
    const cols = Object.keys(sixth);
    await asOwner(pool, [
      ['DELETE FROM audit.events WHERE organization_id = $1 AND seq = 6', [org]],
      [`INSERT INTO audit.events (${cols.join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(sixth)],
      ['UPDATE audit.chain_heads SET last_seq = 6, prev_hash = $2, last_hash = $3 WHERE organization_id = $1', [org, sixth.prev_hash, sixth.row_hash]],
    ]);
  };

  // Cut short: the last row goes and the head moves back. The chain alone still verifies.
  await asOwner(pool, [
    ['DELETE FROM audit.events WHERE organization_id = $1 AND seq = 6', [org]],
    ['UPDATE audit.chain_heads SET last_seq = 5, prev_hash = $2, last_hash = $3 WHERE organization_id = $1', [org, fifth.prev_hash, fifth.row_hash]],
  ]);
  try {
    assert.deepEqual(await verifyAuditChain(pool, { organizationId: org }), { ok: true, rows: 5 }, 'the cut chain is consistent in itself');
    assert.deepEqual(await checkAnchors(pool, moved, org), { ok: false, checked: 0, organizationId: org, seq: 6, reason: 'anchored_row_missing' });
  } finally {
    const cols = Object.keys(sixth);
    await asOwner(pool, [
      [`INSERT INTO audit.events (${cols.join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(sixth)],
      ['UPDATE audit.chain_heads SET last_seq = 6, prev_hash = $2, last_hash = $3 WHERE organization_id = $1', [org, sixth.prev_hash, sixth.row_hash]],
    ]);
  }
  assert.deepEqual(await checkAnchors(pool, moved, org), { ok: true, checked: 1 });

  // Rewritten: the last row says something else and every hash after the change is recomputed.
  const forged = { ...event(org, 6), purpose: 'payment' as const };
  const forgedHash = chainHash(sixth.prev_hash, 6, canonicalContent(forged, sixth.at));
  await asOwner(pool, [
    ["UPDATE audit.events SET purpose = 'payment', row_hash = $2 WHERE organization_id = $1 AND seq = 6", [org, forgedHash]],
    ['UPDATE audit.chain_heads SET last_hash = $2 WHERE organization_id = $1', [org, forgedHash]],
  ]);
  try {
    assert.deepEqual(await verifyAuditChain(pool, { organizationId: org }), { ok: true, rows: 6 }, 'the rewritten chain is consistent in itself');
    assert.deepEqual(await checkAnchors(pool, moved, org), { ok: false, checked: 0, organizationId: org, seq: 6, reason: 'anchored_row_changed' });
  } finally {
    await restoreSixth(); // leave the shared database's chains valid
  }
  assert.deepEqual(await checkAnchors(pool, moved, org), { ok: true, checked: 1 });
  assert.equal((await verifyAuditChain(pool, { organizationId: org })).ok, true);
});
