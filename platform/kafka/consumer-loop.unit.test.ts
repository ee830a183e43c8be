import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachLimit, groupByKey } from './consumer-loop.js';
import type { IncomingRecord } from './types.js';

const rec = (key: string | null, offset: number): IncomingRecord => ({ topic: 't', partition: 0, offset: String(offset), key: key === null ? null : Buffer.from(key), value: null, headers: {}, timestamp: 0 });

test('a batch splits into runs per key, each in partition order', () => {
  const groups = groupByKey([rec('a', 1), rec('b', 2), rec('a', 3), rec(null, 4), rec('b', 5), rec(null, 6)]);
  assert.deepEqual(groups.map((g) => g.map((r) => Number(r.offset))), [[1, 3], [2, 5], [4, 6]]);
});

test('work runs with bounded concurrency and the first failure is reported after all settle', async () => {
  let active = 0;
  let peak = 0;
  const done: number[] = [];
  await assert.rejects(forEachLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
    active += 1; peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 5));
    active -= 1;
    if (n === 3) throw new Error('three failed');
    done.push(n);
  }), /three failed/);
  assert.equal(peak, 2);
  assert.deepEqual(done.sort(), [1, 2, 4, 5, 6], 'the others still ran');
});
