import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { repoRoot } from '../paths.js';
import { ConversationStore } from '../stores/conversation-store.js';
import { createClickHouse, migrateClickHouse } from './clickhouse.js';
import { createPgPool, migratePostgres } from './postgres.js';
import { connectRedis } from './redis.js';

const cfg = testConfig();

describe('PostgreSQL', () => {
  const pool = createPgPool({ ...cfg.postgres, applicationName: 'careloop-test' });
  after(() => pool.end());

  test('migrations are applied once and a second run changes nothing', async () => {
    await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres'));
    assert.deepEqual(await migratePostgres(pool, join(repoRoot(), 'platform/storage/migrations/postgres')), []);
    const { rows } = await pool.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.ok(rows.some((r) => r.version === '0001'));
  });

  test('an organisation and a pseudonymous patient round-trip', async () => {
    const org = uniqueId('org');
    const patient = uniqueId('p');
    try {
      await pool.query('INSERT INTO organizations (id, slug, display_name, languages) VALUES ($1, $1, $2, $3)', [org, 'Test clinic', ['en', 'es']]);
      await pool.query('INSERT INTO patients (id, organization_id, preferred_language) VALUES ($1, $2, $3)', [patient, org, 'es']);
      const { rows } = await pool.query<{ id: string; preferred_language: string; languages: string[] }>(
        'SELECT p.id, p.preferred_language, o.languages FROM patients p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1', [patient]);
      assert.deepEqual(rows, [{ id: patient, preferred_language: 'es', languages: ['en', 'es'] }]);
    } finally {
      await pool.query('DELETE FROM patients WHERE id = $1', [patient]);
      await pool.query('DELETE FROM organizations WHERE id = $1', [org]);
    }
  });
});

describe('Redis', () => {
  test('conversation state round-trips as a HASH keyed by the pseudonymous id, with a TTL', async () => {
    const redis = await connectRedis({ url: cfg.redis.url, name: 'careloop-test' });
    try {
      const store = new ConversationStore(redis, 60);
      const patientId = uniqueId('p');
      const state = { organizationId: 'org-1', workflowId: 'default', workflowVersion: 3, step: 'ask_taken', optedOut: true, recent: ['m1', 'm2'], turn: 2, slots: '{"answer":"yes"}' };
      await store.put(patientId, state);
      assert.deepEqual(await store.get(patientId), state);
      assert.equal(await redis.type(`conversation:${patientId}`), 'hash');
      const ttl = await redis.ttl(`conversation:${patientId}`);
      assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
      await store.delete(patientId);
      assert.equal(await store.get(patientId), null);
    } finally {
      await redis.quit();
    }
  });
});

describe('ClickHouse', () => {
  const database = uniqueId('careloop_test_');
  const opts = { ...cfg.clickhouse, database };
  const admin = createClickHouse(opts, null);
  after(async () => {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await admin.close();
  });

  test('migrations create the analytics tables, are idempotent, and rows round-trip with JSONEachRow', async () => {
    const dir = join(repoRoot(), 'platform/storage/migrations/clickhouse');
    assert.ok((await migrateClickHouse(opts, dir)).length > 0);
    assert.deepEqual(await migrateClickHouse(opts, dir), []);
    const client = createClickHouse(opts);
    try {
      const row = (patient: string, id: string) => ({
        event_date: '2026-11-24', event_time: 1_795_000_000, organization_id: 'org-1', patient_id: patient, topic: 'chat.intents',
        event_type: 'intent_detected', channel: 'WEB', record_id: id, workflow_id: '', workflow_version: 0, score: 0.93,
        attr_keys: ['intent'], attr_values: ['medication_taken'],
      });
      await client.insert({ table: `${database}.events`, values: [row('p1', 'r1'), row('p2', 'r2'), row('p1', 'r3')], format: 'JSONEachRow' });
      const rs = await client.query({
        query: `SELECT count() AS n, uniqExact(patient_id) AS patients, quantile(0.5)(score) AS median FROM ${database}.events WHERE organization_id = 'org-1'`,
        format: 'JSONEachRow',
      });
      const [stats] = await rs.json<{ n: string | number; patients: string | number; median: number }>();
      assert.equal(Number(stats?.n), 3, 'UInt64 comes back quoted: read it with Number()');
      assert.equal(Number(stats?.patients), 2);
      assert.ok(Math.abs((stats?.median ?? 0) - 0.93) < 1e-9);
      const daily = await client.query({ query: `SELECT sum(events) AS events FROM ${database}.events_daily WHERE event_type = 'intent_detected'`, format: 'JSONEachRow' });
      assert.equal(Number((await daily.json<{ events: string }>())[0]?.events), 3, 'the materialized view keeps daily counts');
    } finally {
      await client.close();
    }
  });
});
