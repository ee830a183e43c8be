/**
 * Compares two V8 heap snapshots of one process (e.g. the soak's after-warm-up and end snapshots,
 * `--heap-snapshots`): objects grouped by type and constructor name, the groups that grew most by
 * retained self size first. Usage: node dist/perf/faults/heap-diff.js A.heapsnapshot B.heapsnapshot [--top N]
 */
import { readFileSync } from 'node:fs';
import { handleHelp } from '../usage.js';

const USAGE = `Usage: node dist/perf/faults/heap-diff.js A.heapsnapshot B.heapsnapshot [--top N]

Compares two V8 heap snapshots of one process (e.g. the soak's after-warm-up and end snapshots of
node dist/perf/faults/run.js --minutes N --heap-snapshots, in /tmp/careloop-<run>-logs/): objects
grouped by type and constructor name, the groups whose self size grew most first, as a markdown
table with count, change in count, self MB and change in KB.

  A, B      the earlier and the later snapshot
  --top N   groups to list (default 25); give it after the two files

Needs nothing running; reads the two files (each loaded whole: a large snapshot needs memory)
and writes nothing.
Exit status 0; 1 when a file cannot be read or parsed; 2 without two files or for an unknown flag.`;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface Group { key: string; count: number; bytes: number }

/** Self size and count per "type:name" (strings and code grouped by type alone: their names are their contents). */
export function groups(s: Snapshot): Map<string, Group> {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, Group>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt] as number] ?? '?';
    const byName = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden';
    const key = byName ? `${type}:${s.strings[s.nodes[i + nameAt] as number] ?? '?'}` : type;
    const g = out.get(key) ?? { key, count: 0, bytes: 0 };
    g.count += 1;
    g.bytes += s.nodes[i + sizeAt] as number;
    out.set(key, g);
  }
  return out;
}

export function diff(a: Map<string, Group>, b: Map<string, Group>): Array<{ key: string; count: number; bytes: number; countDelta: number; bytesDelta: number }> {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].map((key) => {
    const x = a.get(key) ?? { count: 0, bytes: 0 };
    const y = b.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: y.count, bytes: y.bytes, countDelta: y.count - x.count, bytesDelta: y.bytes - x.bytes };
  }).sort((p, q) => q.bytesDelta - p.bytesDelta);
}

function main(argv: readonly string[]): number {
  const files = argv.filter((a) => !a.startsWith('--'));
  const top = Number(argv[argv.indexOf('--top') + 1] ?? 25) || 25;
  if (files.length < 2) { console.error('usage: heap-diff A.heapsnapshot B.heapsnapshot [--top N]'); return 2; }
  const [a, b] = files.slice(0, 2).map((f) => groups(JSON.parse(readFileSync(f, 'utf8')) as Snapshot)) as [Map<string, Group>, Map<string, Group>];
  const total = (m: Map<string, Group>): number => [...m.values()].reduce((n, g) => n + g.bytes, 0);
  console.log(`total self size: ${(total(a) / 1048576).toFixed(1)} MB -> ${(total(b) / 1048576).toFixed(1)} MB`);
  console.log('| group | count | Δ count | self MB | Δ KB |\n|---|---|---|---|---|');
  for (const d of diff(a, b).slice(0, top)) console.log(`| ${d.key.slice(0, 80)} | ${d.count} | ${d.countDelta} | ${(d.bytes / 1048576).toFixed(2)} | ${(d.bytesDelta / 1024).toFixed(1)} |`);
  return 0;
}

if (process.argv[1]?.endsWith('heap-diff.js')) {
  handleHelp(USAGE, { flags: ['--top'] });
  process.exitCode = main(process.argv.slice(2));
}
