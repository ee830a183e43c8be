import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CareloopError } from '../../platform/errors.js';

/** The harness's settings, compiled once from the command line: validated, in base units, frozen. */
export interface HarnessOptions {
  demoFile: string;
  url: string | null;
  connections: number;
  /** Messages per second, all connections together. */
  rate: number;
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  out: string;
  label: string | null;
  seed: number;
}

export const USAGE = `Usage: node dist/perf/load-harness.js [options]

Chat load harness: opens N patient WebSocket connections to /v1/chat, sends messages open-loop at a
target rate with a realistic mix of intents, and reports ack and reply latency, errors and lost
replies as text and as JSON. Uses the demo patients of .stack/demo.json (written by "careloop seed");
with more connections than patients, patients are reused round-robin.

Options:
  --demo-file FILE   demo file with gatewayUrl and patients[{id, token}] (default .stack/demo.json)
  --url URL          WebSocket URL of /v1/chat; overrides the demo file's gatewayUrl
  --connections N    WebSocket connections (default 20; 1..10000)
  --rate R           messages per second, all connections together (default 250; up to 100000)
  --duration S       measured seconds of sending (default 30)
  --warmup S         seconds of sending before measuring; not counted (default 3)
  --drain S          seconds to wait for outstanding acks and replies after sending stops (default 10)
  --out FILE         JSON result (default perf/results/chat-<rate>-<timestamp>.json)
  --label TEXT       free text stored with the result, e.g. "rdkafka, 6 partitions"
  --seed N           seed of the message mix, to replay the same sequence (default 1)
  -h, --help         show this help

Exit status: 0 when the run completed, whatever the figures (it is a benchmark); 2 for a usage
error; 3 when no connection could be opened.`;

const FLAGS = {
  'demo-file': { type: 'string' }, url: { type: 'string' }, connections: { type: 'string' }, rate: { type: 'string' },
  duration: { type: 'string' }, warmup: { type: 'string' }, drain: { type: 'string' }, out: { type: 'string' },
  label: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

function usage(message: string): CareloopError {
  return new CareloopError('VALIDATION_FAILED', message);
}

/** A decimal number within [min, max]; the flag's name is in the error. */
function num(flag: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined) return fallback;
  const v = /^\s*[+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(v)) throw usage(`--${flag} must be a number; got "${raw}"`);
  if (integer && !Number.isInteger(v)) throw usage(`--${flag} must be a whole number; got "${raw}"`);
  if (v < min || v > max) throw usage(`--${flag} must be between ${min} and ${max}; got ${raw}`);
  return v;
}

function wsUrl(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let u: URL;
  try { u = new URL(raw); } catch { throw usage(`--url must be a ws:// or wss:// URL; got "${raw}"`); }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw usage(`--url must be a ws:// or wss:// URL; got "${raw}"`);
  return u.toString();
}

function nonEmpty(flag: string, raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.trim() === '') throw usage(`--${flag} must not be empty`);
  return raw;
}

/** 2026-11-24T21-35-42Z: sortable and safe in a file name on every OS. */
export function fileStamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usage(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Parses argv (without node and the script). Returns 'help' for --help; throws VALIDATION_FAILED for
 * an unknown flag, a positional argument or a bad value. Relative default paths are under `root`;
 * paths given on the command line are relative to `cwd`.
 */
export function parseOptions(argv: readonly string[], root: string, cwd: string, now: Date): HarnessOptions | 'help' {
  const values = parseFlags(argv);
  if (values.help === true) return 'help';
  const rate = num('rate', values.rate, 250, 0.1, 100_000);
  const demoFile = nonEmpty('demo-file', values['demo-file']);
  const out = nonEmpty('out', values.out);
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  return Object.freeze({
    demoFile: demoFile === undefined ? join(root, '.stack', 'demo.json') : at(demoFile),
    url: wsUrl(values.url),
    connections: num('connections', values.connections, 20, 1, 10_000, true),
    rate,
    durationMs: num('duration', values.duration, 30, 0.1, 86_400) * 1000,
    warmupMs: num('warmup', values.warmup, 3, 0, 3_600) * 1000,
    drainMs: num('drain', values.drain, 10, 0, 3_600) * 1000,
    out: out === undefined ? join(root, 'perf', 'results', `chat-${rate}-${fileStamp(now)}.json`) : at(out),
    label: nonEmpty('label', values.label) ?? null,
    seed: num('seed', values.seed, 1, 0, 2 ** 32 - 1, true),
  });
}
