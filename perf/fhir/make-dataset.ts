/**
 * Replicates a small Synthea sample into N patients as Bulk Data NDJSON (one file per type), each
 * patient with fresh identities, two MedicationRequests and one MedicationDispense.
 * Usage: node dist/perf/fhir/make-dataset.js --patients N --out DIR [--sample DIR] [--seed S]
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheaSample } from '../../ingest/fhir/fhir-tools.js';
import { freshDispense, freshPatient, freshRequests, nameStem, requestTemplate, rng, type Templates } from './replicate.js';
import { handleHelp } from '../usage.js';

const USAGE = `Usage: node dist/perf/fhir/make-dataset.js --out DIR [--patients N] [--sample DIR] [--seed S]

Replicates a small Synthea sample into N patients as Bulk Data NDJSON, one file per type, streamed
(about 5 KB a patient): each patient with fresh identities (ids, names, MRN, SSN 9xx, phone, birth
date, street), two MedicationRequests and one MedicationDispense; the sample's organisations,
locations and practitioners first, so every reference resolves. The input of import-bench.js.

  --out DIR       the directory to write (required; created if missing)
  --patients N    patients to write (default 20000)
  --sample DIR    a Synthea FHIR output directory (default: the cached -p 5 -s 7 sample under
                  .stack/fhir, generated once with Java and the Maven Synthea jars when missing)
  --seed S        the seed: the same seed gives the same ids, so a second import is a re-import (default 1)

Needs nothing running. Writes DIR/{Organization,Location,Practitioner,Patient,MedicationRequest,
MedicationDispense}.ndjson and prints a JSON summary; progress every 100,000 patients on stderr.
Exit status 0; 1 on an error, an unknown flag or without --out.`;

type R = Record<string, unknown>;

function resourcesOf(file: string): R[] {
  const b = JSON.parse(readFileSync(file, 'utf8')) as { entry?: Array<{ resource?: R }> };
  return (b.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

/** Templates from the sample: its patients, coded requests, shared organisations, locations and practitioners. */
export function loadTemplates(dir: string, maxPatients = 50): { t: Templates; shared: Record<string, R[]> } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const shared: Record<string, R[]> = { Organization: [], Location: [], Practitioner: [] };
  for (const f of files.filter((x) => /^(hospital|practitioner)Information/.test(x))) {
    for (const r of resourcesOf(join(dir, f))) {
      const list = shared[String(r['resourceType'])];
      if (list !== undefined) { delete r['meta']; list.push(r); }
    }
  }
  const t: Templates = { patients: [], requests: [], organizations: [], locations: [], givenNames: [], familyNames: [], streets: [] };
  for (const f of files.filter((x) => !/^(hospital|practitioner)Information/.test(x)).slice(0, maxPatients)) {
    for (const r of resourcesOf(join(dir, f))) {
      if (r['resourceType'] === 'Patient') {
        delete r['meta'];
        t.patients.push(r);
        const n = (r['name'] as Array<{ family?: string; given?: string[] }> | undefined)?.[0];
        if (n?.family !== undefined) t.familyNames.push(nameStem(n.family));
        for (const g of n?.given ?? []) t.givenNames.push(nameStem(g));
        const line = (r['address'] as Array<{ line?: string[] }> | undefined)?.[0]?.line?.[0];
        if (line !== undefined) t.streets.push(line.replace(/^\d+\s*/, ''));
      } else if (r['resourceType'] === 'MedicationRequest') {
        const m = requestTemplate(r);
        if (m !== null) t.requests.push(m);
      }
    }
  }
  t.organizations = (shared['Organization'] ?? []).map((o) => String(o['id']));
  t.locations = (shared['Location'] ?? []).map((o) => String(o['id']));
  if (t.patients.length === 0 || t.requests.length === 0 || t.organizations.length === 0) throw new Error(`${dir}: no Synthea patients, coded MedicationRequests or organisations`);
  return { t, shared };
}

async function write(out: WriteStream, r: R): Promise<void> {
  if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => { out.end(() => resolve()); out.once('error', reject); });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { patients: { type: 'string', default: '20000' }, out: { type: 'string' }, sample: { type: 'string' }, seed: { type: 'string', default: '1' } } });
  const n = Number(values.patients);
  const seed = Number(values.seed);
  if (!Number.isInteger(n) || n < 1 || values.out === undefined || !Number.isInteger(seed)) throw new Error('usage: make-dataset --patients N --out DIR [--sample DIR] [--seed S]');
  const sample = values.sample ?? await syntheaSample(5, 7);
  const { t, shared } = loadTemplates(sample);
  mkdirSync(values.out, { recursive: true });
  for (const [type, list] of Object.entries(shared)) {
    const out = createWriteStream(join(values.out, `${type}.ndjson`));
    for (const r of list) await write(out, r);
    await close(out);
  }
  const started = Date.now();
  const next = rng(seed);
  const files = { p: createWriteStream(join(values.out, 'Patient.ndjson')), m: createWriteStream(join(values.out, 'MedicationRequest.ndjson')), d: createWriteStream(join(values.out, 'MedicationDispense.ndjson')) };
  for (let i = 0; i < n; i++) {
    const p = freshPatient(t, i, seed, next);
    const pid = String(p['id']);
    const ms = freshRequests(t, pid, i, seed, next);
    await write(files.p, p);
    for (const m of ms) await write(files.m, m);
    await write(files.d, freshDispense(t, ms[0] as R, pid, i, seed, next));
    if ((i + 1) % 100_000 === 0) process.stderr.write(`${i + 1} patients\n`);
  }
  await Promise.all(Object.values(files).map(close));
  const sharedCount = Object.values(shared).reduce((a, l) => a + l.length, 0);
  console.log(JSON.stringify({ out: values.out, sample, seed, patients: n, resources: n * 4 + sharedCount, templates: { patients: t.patients.length, requests: t.requests.length }, seconds: (Date.now() - started) / 1000 }));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  handleHelp(USAGE);
  main().catch((err: unknown) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
}
