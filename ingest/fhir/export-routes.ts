import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, requirePermission, type Principal } from '../../platform/auth/principal.js';
import type { AuditLog } from '../../platform/audit/audit-log.js';
import { CareloopError } from '../../platform/errors.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { principalOf } from '../api/principal.js';
import { exportManifest, exportResources, exportTypes, runExport } from './export.js';
import { createJob, deleteJob, jobOf } from './jobs.js';
import type { ResourceReader } from './resources.js';

export interface ExportRouteDeps {
  pool: PgPool;
  audit: AuditLog;
  reader: ResourceReader;
  /** Where a background job's failure to even record itself goes (never PHI). */
  onJobError(err: unknown): void;
}

const OUTPUT_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];

/** The base URL the client used, so that Content-Location and the manifest's file URLs work for it. */
export function fhirBase(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}/fhir/R4`;
}

function caller(req: FastifyRequest): { principal: Principal; org: string } {
  const principal = principalOf(req);
  requirePermission(principal, 'phi:read', principal.organizationId);
  return { principal, org: principal.organizationId };
}

/** Bulk Data $export at the system level, which here is the caller's organisation. */
export function registerExportRoutes(scope: FastifyInstance, deps: ExportRouteDeps): void {
  scope.get<{ Querystring: Record<string, string> }>('/$export', { schema: { hide: true } }, async (req, reply) => {
    const { principal, org } = caller(req);
    if (!/respond-async/.test(String(req.headers['prefer'] ?? ''))) throw new CareloopError('VALIDATION_FAILED', '$export is asynchronous: send Prefer: respond-async');
    const unknown = Object.keys(req.query).find((k) => k !== '_type' && k !== '_outputFormat');
    if (unknown !== undefined) throw new CareloopError('VALIDATION_FAILED', `$export parameter ${unknown.slice(0, 40)} is not supported (supported: _type, _outputFormat)`);
    const format = req.query['_outputFormat'];
    if (format !== undefined && !OUTPUT_FORMATS.includes(format)) throw new CareloopError('VALIDATION_FAILED', '_outputFormat must be application/fhir+ndjson');
    const base = fhirBase(req);
    const request = { types: exportTypes(req.query['_type']), request: `${base}${req.url.replace(/^\/fhir\/R4/, '')}` };
    const job = await createJob(deps.pool, org, 'export', principal.id, request);
    await deps.audit.record({ organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), action: 'fhir.export.kickoff', patientId: null, purpose: 'treatment', outcome: 'success', resultCount: 0 });
    // The job outlives the request: its state is in care.jobs, which the status URL reads.
    runExport(deps.reader, deps.pool, job, request).catch(deps.onJobError);
    return reply.code(202).header('content-location', `${base}/$export-poll/${job.id}`).send();
  });

  scope.get<{ Params: { job: string } }>('/$export-poll/:job', { schema: { hide: true } }, async (req, reply) => {
    const { org } = caller(req);
    const job = await jobOf(deps.pool, org, 'export', req.params.job);
    if (job === null) throw new CareloopError('NOT_FOUND', 'no such export job for this organisation');
    if (job.state === 'failed') throw new CareloopError('INTERNAL', 'the export failed; start another');
    if (job.state !== 'completed') {
      const p = job.progress;
      return reply.code(202).header('x-progress', `${String(p['step'] ?? 'queued')} (${Number(p['done'] ?? 0)}/${Number(p['of'] ?? 0)} types)`).header('retry-after', '1').send();
    }
    return reply.code(200).type('application/json').header('expires', new Date(job.createdAt.getTime() + 86_400_000).toUTCString()).send(exportManifest(job, fhirBase(req)));
  });

  scope.delete<{ Params: { job: string } }>('/$export-poll/:job', { schema: { hide: true } }, async (req, reply) => {
    const { org } = caller(req);
    if (!(await deleteJob(deps.pool, org, 'export', req.params.job))) throw new CareloopError('NOT_FOUND', 'no such export job for this organisation');
    return reply.code(202).send();
  });

  scope.get<{ Params: { job: string; file: string } }>('/$export-file/:job/:file', { schema: { hide: true } }, async (req, reply) => {
    const { principal, org } = caller(req);
    const job = await jobOf(deps.pool, org, 'export', req.params.job);
    const type = req.params.file.replace(/\.ndjson$/, '');
    const count = (job?.outcome?.['counts'] as Record<string, number> | undefined)?.[type];
    if (job === null || job.state !== 'completed' || count === undefined) throw new CareloopError('NOT_FOUND', 'no such export file for this organisation');
    // Audited before the first byte leaves: a download cut short is still a read.
    await deps.audit.record({ organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), action: 'fhir.export.read', patientId: null, purpose: 'treatment', outcome: 'success', resultCount: count });
    const lines = async function* (): AsyncGenerator<string> {
      for await (const r of exportResources(deps.reader, deps.pool, org, type)) yield `${JSON.stringify(r)}\n`;
    };
    return reply.type('application/fhir+ndjson').send(Readable.from(lines()));
  });
}
