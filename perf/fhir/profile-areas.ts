/*
 * Where an importer's CPU goes, from a V8 .cpuprofile: each sample is charged to the innermost
 * frame of its stack that belongs to a known stage (validation, sealing, HMAC, PostgreSQL, Kafka…).
 */

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Stages in the order they are tried on a frame; the first whose test matches names it. */
const STAGES: ReadonlyArray<[string, (fn: string, url: string) => boolean]> = [
  ['schema validation (ajv)', (fn, url) => url.includes('node_modules/ajv') || url.includes('/ingest/fhir/schema.js') || fn.startsWith('validate')],
  ['sealing (AES-GCM)', (fn, url) => url.includes('/platform/crypto/envelope.js') || url.includes('/vault/field-crypto.js') || url.includes('/vault/identity-cells.js') && fn.startsWith('seal')],
  ['blind index HMAC', (fn, url) => url.includes('/vault/index-keys.js') || fn === 'indexEntries'],
  ['Kafka signals (Avro + produce)', (_fn, url) => url.includes('/platform/kafka/') || url.includes('/platform/avro/') || url.includes('node_modules/kafkajs') || url.includes('node_modules/avsc') || url.includes('node_modules/@platformatic/kafka')],
  ['PostgreSQL (pg client)', (_fn, url) => url.includes('node_modules/pg') || url.includes('/platform/storage/')],
  ['audit events', (_fn, url) => url.includes('/platform/audit/')],
  ['identity normalisation', (_fn, url) => url.includes('/vault/normalize.js')],
  ['references and matching', (_fn, url) => url.includes('/ingest/fhir/references.js')],
  ['projection and care plan', (_fn, url) => url.includes('/ingest/fhir/project.js')],
  ['reading NDJSON + JSON.parse', (fn, url) => url.includes('/ingest/fhir/readers.js') || url.startsWith('node:internal/readline') || fn === 'parse'],
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  ['idle (waiting on I/O)', (fn) => fn === '(idle)' || fn === '(program)'],
];

export interface AreaRow { area: string; ms: number; share: number }

export function profileAreas(profile: CpuProfile): { totalMs: number; busyMs: number; areas: AreaRow[] } {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const areaOf = (id: number): string => {
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    let area = 'other JavaScript';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      const stage = f === undefined ? undefined : STAGES.find(([, test]) => test(f.functionName, f.url));
      if (stage !== undefined) { area = stage[0]; break; }
    }
    cache.set(id, area);
    return area;
  };
  const us = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const d = profile.timeDeltas[i + 1] ?? 0;
    total += d;
    const a = areaOf(id);
    us.set(a, (us.get(a) ?? 0) + d);
  });
  const idle = us.get('idle (waiting on I/O)') ?? 0;
  const areas = [...us].map(([area, t]) => ({ area, ms: Math.round(t / 1000), share: total > 0 ? Math.round((t / total) * 1000) / 10 : 0 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: Math.round(total / 1000), busyMs: Math.round((total - idle) / 1000), areas };
}
