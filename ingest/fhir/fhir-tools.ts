import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../platform/paths.js';
import type { GenerateOptions } from './generate.js';
import { writeSyntheaExtras } from './generate-synthea.js';

/*
 * The Java tools of the FHIR tests, resolved and generated on first use and cached under
 * .stack/fhir/ (Maven's own cache is ~/.m2): a fresh clone sets itself up, a warm one reuses.
 */

const run = promisify(execFile);
const DONE = '.complete';

export function fhirToolsDir(): string {
  return join(repoRoot(), '.stack', 'fhir');
}

/** A tool's classpath directory (`hapi` or `synthea`), copied from Maven by its pom once. */
export async function mavenLib(tool: 'hapi' | 'synthea'): Promise<string> {
  const dir = join(fhirToolsDir(), `${tool}-lib`);
  // A directory resolved before the marker existed counts when it holds the tool's jars.
  const present = existsSync(join(dir, DONE)) || (existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(tool === 'hapi' ? 'hapi-fhir-validation-' : 'synthea-')));
  if (present) return dir;
  mkdirSync(fhirToolsDir(), { recursive: true });
  await run('mvn', ['-q', '-B', '-f', join(repoRoot(), 'stack', 'fhir-tools', tool, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`], { maxBuffer: 16 << 20 });
  writeFileSync(join(dir, DONE), '');
  return dir;
}

/**
 * Synthea's FHIR R4 output for `patients` living patients and a fixed seed (generated once, then
 * cached); `yearsOfHistory` trims the clinical history kept (Synthea's default is 10 years).
 */
export async function syntheaSample(patients: number, seed: number, yearsOfHistory?: number): Promise<string> {
  const dir = join(fhirToolsDir(), `synthea-p${patients}-s${seed}${yearsOfHistory !== undefined ? `-h${yearsOfHistory}` : ''}`);
  if (existsSync(join(dir, DONE))) return join(dir, 'fhir');
  const lib = await mavenLib('synthea');
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await run('java', ['-cp', `${lib}/*`, 'App', '-p', String(patients), '-s', String(seed), '-cs', String(seed), '-r', '20240101', ...(yearsOfHistory !== undefined ? [`--exporter.years_of_history=${yearsOfHistory}`] : []), `--exporter.baseDirectory=${tmp}`], { maxBuffer: 64 << 20 });
  writeFileSync(join(tmp, DONE), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return join(dir, 'fhir');
}

/**
 * What Synthea lacks (generate.ts) for a Synthea sample, written once next to it as NDJSON per
 * type; `syntheaDir` is what syntheaSample returned.
 */
export async function syntheaExtras(syntheaDir: string, opts: GenerateOptions): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify({ ...opts, reference: opts.reference.toISOString() })).digest('hex').slice(0, 10);
  const dir = `${syntheaDir.replace(/\/fhir$/, '')}-extras-s${opts.seed}-${key}`;
  if (existsSync(join(dir, DONE))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await writeSyntheaExtras(syntheaDir, tmp, opts);
  writeFileSync(join(tmp, DONE), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

export interface HapiReport {
  ok: boolean;
  resources: number;
  errors: number;
  output: string;
}

/** Runs the HAPI R4 instance validator (stack/fhir-tools/hapi/Validate.java) over files or directories. */
export async function hapiValidate(paths: readonly string[]): Promise<HapiReport> {
  const lib = await mavenLib('hapi');
  const args = ['-cp', `${lib}/*`, join(repoRoot(), 'stack', 'fhir-tools', 'hapi', 'Validate.java'), ...paths];
  const res = await run('java', args, { maxBuffer: 64 << 20 }).then((r) => ({ out: r.stdout, code: 0 }), (err: { stdout?: string; stderr?: string; code?: number }) => ({ out: `${err.stdout ?? ''}${err.stderr ?? ''}`, code: err.code ?? 1 }));
  const total = /\{"total":\{"resources":(\d+),"errors":(\d+)\}\}/.exec(res.out);
  return { ok: res.code === 0 && total !== null, resources: Number(total?.[1] ?? 0), errors: Number(total?.[2] ?? -1), output: res.out };
}
