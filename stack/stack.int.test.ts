import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import { stackStatus, stackUp, type ComponentName, type ComponentStatus } from './index.js';

// Never stops the stack: other integration tests share it, and `up` must be idempotent anyway.
const cfg = loadConfig({ env: process.env });
const root = repoRoot();

function reporter(lines: string[]): { progress(c: ComponentName | 'stack', m: string): void } {
  return { progress: (c, m) => { lines.push(`${c}: ${m}`); } };
}

function pids(statuses: readonly ComponentStatus[]): Map<ComponentName, number | undefined> {
  return new Map(statuses.map((s) => [s.name, s.pid]));
}

test('stack up brings every component to running, a second up changes nothing, status agrees', { timeout: 900_000 }, async () => {
  const first = await stackUp(cfg, { repoRoot: root, reporter: reporter([]) });
  assert.deepEqual(first.map((s) => s.name), ['postgres', 'redis', 'clickhouse', 'kafka', 'registry']);
  for (const s of first) assert.equal(s.state, 'running', `${s.name}: ${s.detail ?? ''} (log ${s.logPath})`);

  const lines: string[] = [];
  const second = await stackUp(cfg, { repoRoot: root, reporter: reporter(lines) });
  assert.deepEqual(pids(second), pids(first), 'nothing was restarted');
  for (const s of second) assert.equal(s.state, 'running');
  for (const name of ['postgres', 'redis', 'clickhouse', 'kafka', 'registry']) {
    assert.ok(lines.some((l) => l.startsWith(`${name}: already running`)), `${name} reported as already running`);
  }
  assert.ok(!lines.some((l) => /starting|preparing/.test(l)), `no component was started: ${lines.join('; ')}`);

  const status = await stackStatus(cfg, { repoRoot: root, reporter: reporter([]) });
  assert.deepEqual(status.map((s) => [s.name, s.state, s.pid]), second.map((s) => [s.name, s.state, s.pid]));
});

test('stack up with `only` touches just the named component and its dependencies', { timeout: 900_000 }, async () => {
  const statuses = await stackUp(cfg, { repoRoot: root, reporter: reporter([]), only: ['registry'] });
  assert.deepEqual(statuses.map((s) => s.name), ['postgres', 'registry']);
  for (const s of statuses) assert.equal(s.state, 'running');
});
