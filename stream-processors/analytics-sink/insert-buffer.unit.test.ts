import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InsertBuffer } from './insert-buffer.js';

test('rows of several batches leave in one write, and every waiter resolves after it', async () => {
  const writes: number[][] = [];
  const buffer = new InsertBuffer<number>(async (rows) => { writes.push(rows); }, 20, 100);
  buffer.add(1); const a = buffer.flush();
  buffer.add(2); const b = buffer.flush();
  await Promise.all([a, b]);
  assert.deepEqual(writes, [[1, 2]]);
  await buffer.flush();
  assert.equal(writes.length, 1, 'nothing to write, no write');
});

test('a full buffer writes at once; a failed write fails its waiters', async () => {
  let fail = true;
  const writes: number[][] = [];
  const buffer = new InsertBuffer<number>(async (rows) => { if (fail) throw new Error('down'); writes.push(rows); }, 1000, 2);
  buffer.add(1); buffer.add(2);
  await assert.rejects(buffer.flush(), /down/);
  fail = false;
  buffer.add(3); buffer.add(4);
  await buffer.flush();
  assert.deepEqual(writes, [[3, 4]]);
});
