/*
 * Every perf entry point answers --help at once: its usage on stdout, exit status 0, before it
 * connects to anything or writes a file. Each runs from dist/ with every service pointed at port 1,
 * so a script that ignored --help fails fast (non-zero) instead of loading the stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../platform/paths.js';
import { helpRequest } from './usage.js';

/** Every script under perf/ that is run as a command (the libraries they import are not). */
const ENTRY_POINTS = [
  'analytics/dashboard-queries', 'analytics/sink-throughput', 'capacity/measure', 'capacity/plan', 'cpuprofile-top',
  'faults/heap-diff', 'faults/run', 'fhir/import-bench', 'fhir/make-dataset', 'gateway-scale/client', 'gateway-scale/run',
  'load-harness', 'personalisation/run', 'profiling/profiles', 'profiling/risk-eval', 'reminders/bench',
  'reminders/dispatch-burst', 'sms/run',
];
/** cpuprofile-top's help is its one usage line. */
const ONE_LINE_USAGE = new Set(['cpuprofile-top']);

const root = repoRoot();
const UNREACHABLE = {
  CARELOOP_REDIS_URL: 'redis://127.0.0.1:1', CARELOOP_POSTGRES_URL: 'postgres://careloop@127.0.0.1:1/careloop',
  CARELOOP_POSTGRES_VAULT_URL: 'postgres://careloop@127.0.0.1:1/careloop', CARELOOP_KAFKA_BROKERS: '127.0.0.1:1',
  CARELOOP_REGISTRY_URL: 'http://127.0.0.1:1', CARELOOP_CLICKHOUSE_URL: 'http://127.0.0.1:1',
};
const TIMEOUT_MS = 20_000;
const QUICK_MS = 10_000;

function run(script: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'dist/perf', `${script}.js`), ...args], {
    cwd: root, env: { ...process.env, ...UNREACHABLE }, encoding: 'utf8', timeout: TIMEOUT_MS, killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

for (const script of ENTRY_POINTS) {
  test(`${script} --help prints its usage and exits 0 at once`, () => {
    const r = run(script, ['--help']);
    assert.equal(r.status, 0, `exit status ${r.status} after ${r.ms} ms; stderr: ${r.stderr.slice(0, 500)}`);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines[0]?.startsWith(`Usage: node dist/perf/${script}.js`), `first line: ${lines[0]}`);
    assert.ok(lines.length <= 25, `${lines.length} lines of usage`);
    if (!ONE_LINE_USAGE.has(script)) assert.match(r.stdout, /Exit status/);
    assert.equal(r.stderr, '');
    assert.ok(r.ms < QUICK_MS, `took ${r.ms} ms`);
  });
}

test('-h is --help too', () => {
  const r = run('capacity/plan', ['-h']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: node dist\/perf\/capacity\/plan\.js/);
});

test('an unknown flag of a hand-parsed script is a usage error (exit 2) naming it', () => {
  for (const [script, args, said] of [
    ['capacity/plan', ['a.json', 'b.json', '--patients', '5'], 'unknown flag --patients (it takes positional arguments only)'],
    ['faults/heap-diff', ['a', 'b', '--topp', '5'], 'unknown flag --topp (it knows --top)'],
    ['faults/heap-diff', ['a', 'b', '--top=5'], 'write "--top 5", not "--top=5"'],
    ['reminders/bench', ['brust'], 'unknown mode brust'],
  ] as const) {
    const r = run(script, args);
    assert.equal(r.status, 2, `${script} ${args.join(' ')}: exit status ${r.status}; stderr: ${r.stderr.slice(0, 500)}`);
    assert.ok(r.stderr.includes(said), r.stderr);
    assert.match(r.stderr, /Run with --help for the usage/);
    assert.equal(r.stdout, '');
  }
});

test('helpRequest: help anywhere before a lone --, flags checked only when given', () => {
  assert.deepEqual(helpRequest(['--rate', '5', '-h']), { kind: 'help' });
  assert.deepEqual(helpRequest(['10000', '--help'], { flags: [] }), { kind: 'help' });
  assert.deepEqual(helpRequest(['--data', 'd', '--', '--help']), { kind: 'run' }, 'after -- the arguments are the importer\'s');
  assert.deepEqual(helpRequest(['--whatever']), { kind: 'run' }, 'no flags given: the script\'s own parser checks');
  assert.deepEqual(helpRequest(['--rate', '5', '--keep'], { flags: ['--rate', '--keep'] }), { kind: 'run' });
  assert.deepEqual(helpRequest(['-5', 'x'], { flags: [] }), { kind: 'run' }, 'a negative number is not a flag');
  assert.equal(helpRequest(['--rat', '5'], { flags: ['--rate'] }).kind, 'usage-error');
  assert.equal(helpRequest(['--rate=5'], { flags: ['--rate'] }).kind, 'usage-error');
  assert.deepEqual(helpRequest(['--x', '--', '--y'], { flags: ['--x'] }), { kind: 'run' });
});
