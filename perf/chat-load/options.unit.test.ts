import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCareloopError } from '../../platform/errors.js';
import { parseOptions } from './options.js';

const NOW = new Date('2026-11-24T21:35:42.123Z');
const parse = (...argv: string[]): ReturnType<typeof parseOptions> => parseOptions(argv, '/repo', '/cwd', NOW);

test('defaults: 20 connections, 250 msg/s for 30 s after 3 s of warm-up, 10 s of drain, result under perf/results', () => {
  assert.deepEqual(parse(), {
    demoFile: '/repo/.stack/demo.json', url: null, connections: 20, rate: 250, durationMs: 30_000, warmupMs: 3_000,
    drainMs: 10_000, out: '/repo/perf/results/chat-250-2026-11-24T21-35-42Z.json', label: null, seed: 1,
  });
  assert.equal(parse('--help'), 'help');
});

test('given flags are converted to milliseconds and paths resolved from the working directory', () => {
  const o = parse('--rate', '1500', '--duration', '20', '--warmup', '0', '--drain', '2.5', '--connections', '40',
    '--url', 'wss://chat.example.org/v1/chat', '--out', 'r.json', '--demo-file', '/d.json', '--label', 'rdkafka', '--seed', '9');
  assert.ok(o !== 'help');
  assert.equal(o.rate, 1500);
  assert.equal(o.durationMs, 20_000);
  assert.equal(o.warmupMs, 0);
  assert.equal(o.drainMs, 2_500);
  assert.equal(o.connections, 40);
  assert.equal(o.url, 'wss://chat.example.org/v1/chat');
  assert.equal(o.out, '/cwd/r.json');
  assert.equal(o.demoFile, '/d.json');
  assert.equal(o.label, 'rdkafka');
  assert.equal(o.seed, 9);
});

test('bad values, unknown flags and positionals are refused with the flag named', () => {
  const cases: [string[], RegExp][] = [
    [['--rate', '0'], /--rate/], [['--rate', 'fast'], /--rate/], [['--rate', '-5'], /--rate/], [['--rate', '1e3'], /--rate/],
    [['--connections', '2.5'], /--connections/], [['--connections', '0'], /--connections/], [['--duration', ''], /--duration/],
    [['--warmup', 'x'], /--warmup/], [['--drain', '-1'], /--drain/], [['--url', 'http://host/v1/chat'], /--url/],
    [['--out', ' '], /--out/], [['--bogus'], /bogus/], [['extra'], /extra/], [['--rate'], /rate/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parse(...argv), (e: unknown) => isCareloopError(e) && e.code === 'VALIDATION_FAILED' && message.test(e.message), argv.join(' '));
  }
});
