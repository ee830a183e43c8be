import { CareloopError } from '../../platform/errors.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { DERIVED_TYPES } from './derived.js';
import { updateJob, type Job } from './jobs.js';
import type { Resource, ResourceReader } from './resources.js';
import { IMPORTED_TYPES } from './rules.js';
import { countByType, patientIds } from './store.js';

/*
 * Bulk Data $export of one organisation. The job counts what each file will hold; the files are
 * written when they are fetched, from the sealed originals: plaintext never rests on disk.
 */

export const EXPORT_TYPES: readonly string[] = [...IMPORTED_TYPES, ...DERIVED_TYPES];
const PAGE = 500;

/** The types asked for (`_type`), each one we export; anything else is refused by name. */
export function exportTypes(param: string | undefined): string[] {
  if (param === undefined || param.trim() === '') return [...EXPORT_TYPES];
  const asked = param.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const unknown = asked.find((t) => !EXPORT_TYPES.includes(t));
  if (unknown !== undefined) throw new CareloopError('VALIDATION_FAILED', `_type ${unknown.slice(0, 64)} is not exported; exported types: ${EXPORT_TYPES.join(', ')}`);
  return EXPORT_TYPES.filter((t) => asked.includes(t));
}

export interface ExportRequest {
  types: string[];
  /** The kick-off URL as the client sent it (the manifest repeats it). */
  request: string;
}

/** Every resource of one type of the organisation, page by page (id order). */
export async function* exportResources(reader: ResourceReader, pool: PgPool, org: string, type: string): AsyncGenerator<Resource> {
  if (type === 'Communication') {
    for (let after = ''; ;) {
      const ids = await patientIds(pool, org, after, PAGE);
      for (const pid of ids) yield* await reader.communications(org, pid, true);
      if (ids.length < PAGE) return;
      after = ids.at(-1) ?? '';
    }
  }
  for (let after = ''; ;) {
    const page = type === 'MedicationStatement' ? await reader.medicationStatements(org, { after, limit: PAGE }) : await reader.sealed(org, type, { after, limit: PAGE });
    yield* page.resources;
    if (page.last === null || page.resources.length < PAGE) return;
    after = page.last;
  }
}

/** Runs an export job: counts per type (progress after each), then the manifest's counts as outcome. */
export async function runExport(reader: ResourceReader, pool: PgPool, job: Job, req: ExportRequest): Promise<void> {
  const org = job.organizationId;
  try {
    const stored = await countByType(pool, org);
    const counts: Record<string, number> = {};
    for (const [i, type] of req.types.entries()) {
      await updateJob(pool, job.id, 'running', { ...req, step: `counting ${type}`, done: i, of: req.types.length });
      if (stored.has(type)) counts[type] = stored.get(type) ?? 0;
      else if (type === 'Communication' || type === 'MedicationStatement') {
        let n = 0;
        for await (const _ of exportResources(reader, pool, org, type)) n += 1;
        counts[type] = n;
      }
    }
    await updateJob(pool, job.id, 'completed', { ...req, done: req.types.length, of: req.types.length }, { counts });
  } catch (err) {
    await updateJob(pool, job.id, 'failed', { ...req }, { error: err instanceof Error ? err.message.slice(0, 200) : 'the export failed' });
  }
}

/** The completion manifest (Bulk Data IG): one NDJSON file per type that holds resources. */
export function exportManifest(job: Job, base: string): Record<string, unknown> {
  const counts = (job.outcome?.['counts'] ?? {}) as Record<string, number>;
  return {
    transactionTime: job.createdAt.toISOString(),
    request: String(job.progress['request'] ?? `${base}/$export`),
    requiresAccessToken: true,
    output: Object.entries(counts).filter(([, n]) => n > 0).map(([type, count]) => ({ type, url: `${base}/$export-file/${job.id}/${type}.ndjson`, count })),
    error: [],
  };
}
