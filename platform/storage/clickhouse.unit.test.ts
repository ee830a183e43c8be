import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitStatements } from './clickhouse.js';

test('a migration file splits into statements without comments', () => {
  const sql = '-- header\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n-- second\nCREATE TABLE b (s String) ENGINE = Memory;\n';
  assert.deepEqual(splitStatements(sql), ['CREATE TABLE a (x UInt8) ENGINE = Memory', 'CREATE TABLE b (s String) ENGINE = Memory']);
});
