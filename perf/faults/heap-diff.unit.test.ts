/* heap-diff: objects kept between two snapshots show up as the group that grew, by constructor. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeHeapSnapshot } from 'node:v8';
import { diff, groups } from './heap-diff.js';

class KeptPerMessage { constructor(readonly id: number, readonly text: string) {} }

test('objects retained between two snapshots are the group that grew, with their count', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'heap-diff-'));
  try {
    const a = writeHeapSnapshot(join(dir, 'a.heapsnapshot'));
    const kept = Array.from({ length: 20_000 }, (_, i) => new KeptPerMessage(i, `message ${i}`));
    const b = writeHeapSnapshot(join(dir, 'b.heapsnapshot'));
    const rows = diff(groups(JSON.parse(readFileSync(a, 'utf8'))), groups(JSON.parse(readFileSync(b, 'utf8'))));
    const grown = rows.find((r) => r.key === 'object:KeptPerMessage');
    t.diagnostic(`top group: ${rows[0]?.key} +${rows[0]?.countDelta}`);
    assert.equal(grown?.countDelta, kept.length);
    assert.ok(rows.slice(0, 3).some((r) => r.key === 'object:KeptPerMessage'), 'among the three groups that grew most');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
