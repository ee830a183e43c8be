import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, summarize } from './stats.js';

test('percentiles are nearest-rank over the stored samples', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 95), 95);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
});

test('summaries sort numerically, not as strings, and are null without samples', () => {
  const s = summarize([100, 9, 20, 3]);
  assert.deepEqual(s, { count: 4, mean: 33, min: 3, p50: 9, p95: 100, p99: 100, max: 100 });
  assert.equal(summarize([]), null);
});
