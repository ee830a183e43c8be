import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { test } from 'node:test';
import { cpuBetween, cpuMark } from './cpu.js';

test('machine CPU time is the busy share of every CPU over the wall time; the harness\'s own is apart', () => {
  const a = { busy: 100, total: 400, wallMs: 1_000, selfMs: 10 };
  const b = { busy: 150, total: 600, wallMs: 2_000, selfMs: 30 };
  assert.deepEqual(cpuBetween(a, b), { machineMs: 0.25 * 1_000 * cpus().length, harnessMs: 20 });
  assert.equal(cpuBetween(a, a).machineMs, 0, 'no ticks, no time');
});

test('a reading of this machine counts busy time within the total, and work moves it', () => {
  const a = cpuMark();
  if (a === null) { assert.equal(process.platform === 'linux', false, 'Linux has /proc/stat'); return; }
  const until = Date.now() + 60;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  const b = cpuMark();
  assert.ok(b !== null && b.busy >= a.busy && b.total > a.total && b.busy <= b.total);
  assert.ok(cpuBetween(a, b).harnessMs >= 30, `the spin shows as this process's CPU (${x > 0})`);
});
