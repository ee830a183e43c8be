import { createWriteStream, type WriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CareloopError } from '../../platform/errors.js';
import type { FhirImporter, Counts } from './importer.js';
import type { OperationOutcome } from './outcome.js';
import { readFiles, type RawEntry, type ReadLimits } from './readers.js';
import { IMPORTED_TYPES } from './rules.js';

export interface Progress {
  bytesDone: number;
  bytesTotal: number;
  resources: number;
  rejected: number;
  elapsedMs: number;
}

export interface RunOptions {
  limits: ReadLimits;
  /** Units written at the same time (each in its own transaction). */
  concurrency: number;
  /** NDJSON of OperationOutcomes, one per rejected resource; opened on the first reject. */
  rejectsFile: string;
  onProgress?(p: Progress): void;
  now?(): number;
  /** NDJSON entries held back for a later round when their references do not resolve yet (memory bound). Default 50,000. */
  maxDeferred?: number;
}

export interface RunSummary {
  counts: Counts;
  files: number;
  resources: number;
  rejected: number;
  rejectsFile: string | null;
  elapsedMs: number;
}

/**
 * Where a file sorts: Bulk Data NDJSON named by type in dependency order; bundles of shared data
 * first; other files (patient Bundles) right after Patient, so what refers to patients
 * (MedicationDispense.ndjson, Appointment.ndjson...) comes after them.
 */
export function rank(file: string): number {
  const name = basename(file);
  const t = IMPORTED_TYPES.findIndex((type) => name.startsWith(`${type}.`) || name.startsWith(`${type}-`) || name === `${type}.ndjson`);
  if (t >= 0) return t;
  if (/^(hospitalInformation|practitionerInformation)/.test(name)) return -1;
  return IMPORTED_TYPES.indexOf('Patient') + 0.5;
}

/** The .json and .ndjson files named (directories are walked), in import order. */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const s = await stat(p).catch(() => { throw new CareloopError('NOT_FOUND', `no such file or directory: ${p}`); });
    if (s.isDirectory()) {
      for (const e of (await readdir(p)).sort()) await walk(join(p, e));
    } else if (p.endsWith('.json') || p.endsWith('.ndjson')) files.push(p);
    else if (inputs.includes(p)) throw new CareloopError('VALIDATION_FAILED', `${p}: only .json (Bundle or resource) and .ndjson files are imported`);
  };
  for (const i of inputs) await walk(i);
  return files.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
}

/**
 * Streams the files through the importer, `concurrency` units in flight; waits for every unit of
 * one file before starting a file of another rank, so references to earlier types resolve.
 * NDJSON entries whose references do not resolve yet (a later file, a cycle) are retried at the
 * end, together, until a round makes no progress; then what is left is rejected with the reason.
 */
export async function runImport(importer: FhirImporter, files: readonly string[], opts: RunOptions): Promise<RunSummary> {
  const now = opts.now ?? Date.now;
  const started = now();
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  let bytesBefore = 0;
  let resources = 0;
  let rejected = 0;
  let rejects: WriteStream | null = null;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let currentFile = '';
  let currentRank = Number.NaN;
  let fileBytes = 0;
  const deferred: RawEntry[] = [];
  const maxDeferred = opts.maxDeferred ?? 50_000;
  const writeRejects = (list: readonly OperationOutcome[]): void => {
    if (list.length === 0) return;
    rejects ??= createWriteStream(opts.rejectsFile, { flags: 'w' });
    for (const o of list) rejects.write(`${JSON.stringify(o)}\n`);
    rejected += list.length;
  };
  const report = (): void => opts.onProgress?.({ bytesDone: bytesBefore + fileBytes, bytesTotal, resources, rejected, elapsedMs: now() - started });
  const timer = setInterval(report, 250);
  try {
    for await (const unit of readFiles(files, opts.limits)) {
      if (unit.file !== currentFile) {
        if (currentFile !== '') bytesBefore += sizes[files.indexOf(currentFile)] ?? 0;
        const r = rank(unit.file);
        if (r !== currentRank) await Promise.all(inFlight);
        currentFile = unit.file;
        currentRank = r;
      }
      fileBytes = unit.bytesRead;
      if (failure !== undefined) break;
      const file = unit.file;
      const p = importer.importUnit(unit, { defer: deferred.length < maxDeferred }).then((res) => {
        resources += unit.entries.length;
        writeRejects(res.rejects);
        for (const e of res.deferred) deferred.push({ ...e, file: e.file ?? file });
      }, (err: unknown) => { failure ??= err; })
        .finally(() => { inFlight.delete(p); });
      inFlight.add(p);
      while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure === undefined) await retryDeferred(importer, deferred, opts.limits.unitSize, writeRejects);
    if (failure !== undefined) throw failure instanceof Error ? failure : new CareloopError('INTERNAL', 'the import failed');
  } finally {
    clearInterval(timer);
    fileBytes = 0;
    bytesBefore = bytesTotal;
    report();
    if (rejects !== null) await new Promise<void>((resolve) => { (rejects as WriteStream).end(resolve); });
  }
  return { counts: importer.counts, files: files.length, resources, rejected, rejectsFile: rejected > 0 ? opts.rejectsFile : null, elapsedMs: now() - started };
}

/** Rounds over the deferred entries, all files mixed (a cycle resolves within a unit), until none is left or none progresses. */
async function retryDeferred(importer: FhirImporter, entries: RawEntry[], unitSize: number, writeRejects: (l: readonly OperationOutcome[]) => void): Promise<void> {
  let pending = entries;
  for (let last = false; pending.length > 0;) {
    const next: RawEntry[] = [];
    for (let i = 0; i < pending.length; i += unitSize) {
      const res = await importer.importUnit({ file: '', kind: 'ndjson', entries: pending.slice(i, i + unitSize), bytesRead: 0 }, { defer: !last });
      writeRejects(res.rejects);
      next.push(...res.deferred);
    }
    if (last) return;
    last = next.length === pending.length;
    pending = next;
  }
}
