import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { createClickHouse } from '../../platform/storage/clickhouse.js';
import { testConfig, uniqueId } from '../../test/helpers.js';
import { EVENT_COLUMNS, toEventRow, tsvLine } from './rows.js';

const database = uniqueId('careloop_test_');
const cfg = testConfig({ 'clickhouse.database': database });
const admin = createClickHouse(cfg.clickhouse, null);
after(async () => { await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await admin.close(); });

test('any string a record may carry survives the TabSeparated insert unchanged (a rejected line would stall the sink)', async () => {
  await admin.command({ query: `CREATE DATABASE ${database}` });
  await admin.command({ query: `CREATE TABLE ${database}.e (event_date Date, event_time DateTime, organization_id String, patient_id String, topic String, event_type String, channel String, record_id String, workflow_id String, workflow_version UInt32, score Float64, attr_keys Array(String), attr_values Array(String)) ENGINE = MergeTree() ORDER BY event_date` });
  const weird = "a\tb\nc\\d'e\"f\0g\rh\u00e9\u{1F600}[],\\N";
  const row = toEventRow('chat.intents', { messageId: weird, organizationId: 'o', patientId: weird, channel: 'WEB', understoodAt: 1_795_000_000_123, receivedAt: 1_795_000_000_000, intent: weird, language: 'en', entityTypes: ['a', "b'c"], confidence: 1e-9 });
  assert.ok(row);
  await admin.insert({ table: `${database}.e`, values: Readable.from([tsvLine(row)], { objectMode: false }), format: 'TabSeparated', columns: [...EVENT_COLUMNS] });
  const [got] = await (await admin.query({ query: `SELECT * FROM ${database}.e`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  assert.equal(got?.['patient_id'], weird);
  assert.equal(got?.['record_id'], weird);
  assert.deepEqual(got?.['attr_keys'], row.attr_keys);
  assert.deepEqual(got?.['attr_values'], row.attr_values);
  assert.equal(got?.['score'], 1e-9);
});
