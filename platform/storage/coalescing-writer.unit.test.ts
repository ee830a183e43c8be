import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CareloopError } from '../errors.js';
import { CoalescingWriter } from './coalescing-writer.js';

test('items added in one turn of the event loop leave in one write, in order, in chunks of at most maxItems', async () => {
  const writes: number[][] = [];
  const w = new CoalescingWriter<number>(async (items) => { writes.push([...items]); }, 4);
  await Promise.all([1, 2, 3, 4, 5, 6].map((n) => w.add(n)));
  assert.deepEqual(writes, [[1, 2, 3, 4], [5, 6]]);
  await w.add(7);
  assert.deepEqual(writes.at(-1), [7], 'a later turn writes on its own');
});

test('one bad item fails alone: the others are written one by one and succeed', async () => {
  const written: number[] = [];
  const w = new CoalescingWriter<number>(async (items) => {
    if (items.includes(13)) throw new Error('violates foreign key constraint');
    written.push(...items);
  });
  const results = await Promise.allSettled([11, 12, 13, 14].map((n) => w.add(n)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(written.sort(), [11, 12, 14]);
});

test('a transient failure fails every item of the write without retrying them one by one', async () => {
  let calls = 0;
  const w = new CoalescingWriter<number>(async () => { calls++; throw new CareloopError('DEPENDENCY_UNAVAILABLE', 'database restarting'); });
  const results = await Promise.allSettled([1, 2, 3].map((n) => w.add(n)));
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  assert.equal(calls, 1);
});
