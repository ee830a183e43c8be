import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, requirePermission, type Principal } from '../../platform/auth/principal.js';
import { CareloopError } from '../../platform/errors.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { principalOf } from '../api/principal.js';
import { fhirBase } from './export-routes.js';
import { toFhirId } from './fhir-ids.js';
import { FhirImporter, type ImporterDeps } from './importer.js';
import { createJob, jobOf, updateJob, type Job } from './jobs.js';
import { REJECT_EXT, issue, outcome, type OperationOutcome } from './outcome.js';
import { bundleEntries } from './readers.js';
import { runImport, type RunSummary } from './run.js';

export interface ImportRouteDeps {
  pool: PgPool;
  importer: ImporterDeps;
  /** Largest POST /fhir/R4 Bundle and $import body, in bytes. */
  maxBodyBytes: number;
  onJobError(err: unknown): void;
}

const LIMITS = { maxStringChars: 1_048_576 };
const READ = { maxResourceBytes: 8 * 1_048_576, unitSize: 500 };
const STATUS: Record<string, string> = { created: '201 Created', updated: '200 OK', unchanged: '200 OK' };
const KEEP_REJECTS = 100;

function writer(req: FastifyRequest): { principal: Principal; org: string } {
  const principal = principalOf(req);
  requirePermission(principal, 'phi:write', principal.organizationId);
  return { principal, org: principal.organizationId };
}

/** The index of the Bundle entry a reject came from (the importer records it as an extension). */
function rejectIndex(o: OperationOutcome): number {
  return o.extension?.find((e) => e.url === `${REJECT_EXT}#index`)?.valueInteger ?? -1;
}

/** The transaction-response / batch-response: one entry per request entry, in order. */
export function bundleResponse(type: 'transaction' | 'batch', size: number, res: Awaited<ReturnType<FhirImporter['importUnit']>>): Record<string, unknown> {
  const entries: Array<Record<string, unknown>> = Array.from({ length: size }, () => ({ response: { status: '500 Internal Server Error' } }));
  for (const r of res.results) {
    entries[r.index] = r.change === 'ignored'
      ? { response: { status: '422 Unprocessable Entity', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'not-supported', diagnostics: `${r.type.slice(0, 64)} is not a type Careloop imports; the entry was ignored` }] } } }
      : { response: { status: STATUS[r.change] ?? '200 OK', location: `${r.type}/${toFhirId(r.id ?? '')}` } };
  }
  for (const o of res.rejects) {
    const i = rejectIndex(o);
    if (i >= 0 && i < size) entries[i] = { response: { status: '422 Unprocessable Entity', outcome: { resourceType: 'OperationOutcome', issue: o.issue } } };
  }
  return { resourceType: 'Bundle', type: `${type}-response`, entry: entries };
}

/** The request body, streamed to a private temporary file (bounded memory); removed after the import. */
async function spool(req: FastifyRequest, name: string, maxBytes: number): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'careloop-fhir-import-'));
  const file = join(dir, name);
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(bytes > maxBytes ? new CareloopError('PAYLOAD_TOO_LARGE', `the $import body is over ${maxBytes} bytes; import larger files with careloop import fhir`) : null, chunk);
    },
  });
  try {
    await pipeline(req.raw, limit, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, file };
}

async function runImportJob(deps: ImportRouteDeps, job: Job, importer: FhirImporter, spooled: { dir: string; file: string }): Promise<void> {
  let last = 0;
  try {
    await updateJob(deps.pool, job.id, 'running', { ...job.progress, resources: 0 });
    const summary: RunSummary = await runImport(importer, [spooled.file], {
      limits: READ, concurrency: 2, rejectsFile: join(spooled.dir, 'rejects.ndjson'),
      onProgress: (p) => {
        if (p.elapsedMs - last < 1000) return;
        last = p.elapsedMs;
        updateJob(deps.pool, job.id, 'running', { ...job.progress, resources: p.resources, rejected: p.rejected, percent: p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0 }).catch(deps.onJobError);
      },
    });
    const rejects = summary.rejectsFile === null ? [] : (await readFile(summary.rejectsFile, 'utf8')).trim().split('\n').slice(0, KEEP_REJECTS).map((l) => JSON.parse(l) as OperationOutcome);
    await updateJob(deps.pool, job.id, 'completed', { ...job.progress, resources: summary.resources, rejected: summary.rejected, percent: 100 },
      { counts: summary.counts, resources: summary.resources, rejected: summary.rejected, rejects, elapsedMs: summary.elapsedMs });
  } catch (err) {
    await updateJob(deps.pool, job.id, 'failed', job.progress, { error: err instanceof Error ? err.message.slice(0, 200) : 'the import failed' });
  } finally {
    await rm(spooled.dir, { recursive: true, force: true });
  }
}

/** POST /fhir/R4 (transaction or batch Bundle) and the Bulk-style asynchronous $import. */
export function registerImportRoutes(scope: FastifyInstance, deps: ImportRouteDeps): void {
  // NDJSON is left unread here: $import streams it to a file itself (bounded memory, own size limit).
  scope.addContentTypeParser(['application/fhir+ndjson', 'application/ndjson'], (_req, _payload, done) => { done(null, undefined); });
  scope.addContentTypeParser('application/fhir+json', { parseAs: 'string', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => {
    try { done(null, JSON.parse(body as string)); } catch { done(new CareloopError('VALIDATION_FAILED', 'the body is not valid JSON'), undefined); }
  });

  scope.post('/', { bodyLimit: deps.maxBodyBytes, schema: { hide: true } }, async (req, reply) => {
    const { principal, org } = writer(req);
    const bundle = req.body as Record<string, unknown> | undefined;
    if (typeof bundle !== 'object' || bundle === null || bundle['resourceType'] !== 'Bundle') throw new CareloopError('VALIDATION_FAILED', 'POST /fhir/R4 takes a Bundle of type transaction or batch');
    const type = bundle['type'];
    if (type !== 'transaction' && type !== 'batch') throw new CareloopError('VALIDATION_FAILED', `Bundle.type must be transaction or batch, not ${String(type).slice(0, 32)}`);
    const entries = bundleEntries(bundle);
    const importer = new FhirImporter(deps.importer, { organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), dryRun: false, limits: LIMITS, atomic: type === 'transaction' });
    const res = await importer.importUnit({ file: 'request', kind: 'bundle', entries, bytesRead: 0 });
    if (type === 'transaction' && res.rejects.length > 0) {
      // A transaction is all or nothing: every problem is reported, nothing was written.
      const issues = res.rejects.flatMap((o) => o.issue.map((i) => ({ ...i, expression: [`Bundle.entry[${rejectIndex(o)}]${(i.expression?.[0] ?? '').replace(/^[A-Za-z]+/, '.resource')}`] })));
      return reply.code(422).type('application/fhir+json').send(outcome(issues));
    }
    return reply.type('application/fhir+json').send(bundleResponse(type, entries.length, res));
  });

  scope.post('/$import', { schema: { hide: true } }, async (req, reply) => {
    const { principal, org } = writer(req);
    if (!/respond-async/.test(String(req.headers['prefer'] ?? ''))) throw new CareloopError('VALIDATION_FAILED', '$import is asynchronous: send Prefer: respond-async');
    const ctype = String(req.headers['content-type'] ?? '');
    if (!/ndjson/.test(ctype)) throw new CareloopError('VALIDATION_FAILED', '$import takes application/fhir+ndjson (one resource or Bundle a line); POST /fhir/R4 takes a single Bundle');
    const spooled = await spool(req, 'upload.ndjson', deps.maxBodyBytes);
    const base = fhirBase(req);
    const job = await createJob(deps.pool, org, 'import', principal.id, { request: `${base}/$import` });
    const importer = new FhirImporter(deps.importer, { organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), dryRun: false, limits: LIMITS });
    // The job outlives the request: its state is in care.jobs, which the status URL reads.
    runImportJob(deps, job, importer, spooled).catch(deps.onJobError);
    return reply.code(202).header('content-location', `${base}/$import-poll/${job.id}`).send();
  });

  scope.get<{ Params: { job: string } }>('/$import-poll/:job', { schema: { hide: true } }, async (req, reply) => {
    const { org } = writer(req);
    const job = await jobOf(deps.pool, org, 'import', req.params.job);
    if (job === null) throw new CareloopError('NOT_FOUND', 'no such import job for this organisation');
    const p = job.progress;
    if (job.state === 'failed') return reply.code(500).type('application/fhir+json').send(outcome([issue('exception', 'the import failed; nothing of its unfinished units was written')]));
    if (job.state !== 'completed') {
      return reply.code(202).header('x-progress', `${Number(p['percent'] ?? 0)}% read, ${Number(p['resources'] ?? 0)} resources, ${Number(p['rejected'] ?? 0)} rejected`).header('retry-after', '1').send();
    }
    return reply.type('application/json').send({ transactionTime: job.createdAt.toISOString(), request: p['request'], ...job.outcome });
  });
}
