import type { FastifyInstance, FastifyReply } from 'fastify';
import { actorOf, requirePermission } from '../../platform/auth/principal.js';
import type { AuditLog } from '../../platform/audit/audit-log.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { CareloopError } from '../../platform/errors.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import type { Vault } from '../../platform/vault/vault.js';
import { principalOf } from '../api/principal.js';
import { httpError } from '../http.js';
import { capabilityStatement, SEARCHABLE } from './capability.js';
import { issue, outcome, type IssueCode } from './outcome.js';
import { isImportedType } from './rules.js';
import { isDerivedType } from './derived.js';
import { registerExportRoutes } from './export-routes.js';
import { fromFhirId } from './fhir-ids.js';
import type { ImporterDeps } from './importer.js';
import { registerImportRoutes } from './import-routes.js';
import { ResourceReader, type ConversationSource, type Resource } from './resources.js';

export interface FhirRoutesDeps {
  pool: PgPool;
  keyring: Keyring;
  vault: Vault;
  audit: AuditLog;
  version: string;
  now(): Date;
  /** Where Communication comes from (the gateway's sealed chat history); absent, none is kept. */
  conversations?: ConversationSource;
  /** POST /fhir/R4 and $import; absent, the API is read-only. */
  importer?: ImporterDeps;
  /** Largest Bundle or $import body, in bytes (default 32 MiB). */
  maxImportBytes?: number;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function codeFor(status: number): IssueCode {
  return status === 401 ? 'login' : status === 403 ? 'forbidden' : status === 404 ? 'not-found' : status === 413 ? 'too-long' : status === 429 ? 'too-costly' : status >= 500 ? 'exception' : 'invalid';
}

/**
 * The FHIR R4 read API under /fhir/R4, in the API process: the same credentials and roles, scoped
 * to the caller's organisation; every answer is FHIR JSON and every error an OperationOutcome.
 */
export async function registerFhirRoutes(app: FastifyInstance, deps: FhirRoutesDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err, _req, reply) => {
      const mapped = httpError(err);
      void reply.code(mapped.status).type(FHIR_JSON).send(outcome([issue(codeFor(mapped.status), mapped.body.message)]));
    });
    scope.setNotFoundHandler((req, reply) => {
      void reply.code(404).type(FHIR_JSON).send(outcome([issue('not-supported', `no FHIR interaction ${req.method} ${req.url.split('?')[0] ?? ''}; see /fhir/R4/metadata`)]));
    });

    const reader = new ResourceReader({ pool: deps.pool, keyring: deps.keyring, ...(deps.conversations ? { conversations: deps.conversations } : {}) });

    const audited = async (org: string, principal: ReturnType<typeof principalOf>, ip: string, action: string, found: Resource[], patientId: string | null): Promise<void> => {
      await deps.audit.record({ organizationId: org, actor: actorOf(principal, { ip, service: 'api' }), action, patientId, purpose: 'treatment', outcome: 'success', resultCount: found.length });
    };

    const onJobError = (err: unknown): void => { scope.log.error({ err: err instanceof Error ? err.message : 'unknown' }, 'FHIR job could not record its outcome'); };
    registerExportRoutes(scope, { pool: deps.pool, audit: deps.audit, reader, onJobError });
    if (deps.importer !== undefined) registerImportRoutes(scope, { pool: deps.pool, importer: deps.importer, maxBodyBytes: deps.maxImportBytes ?? 32 * 1_048_576, onJobError });

    const send = (reply: FastifyReply, body: unknown): FastifyReply => reply.type(FHIR_JSON).send(body);

    scope.get('/metadata', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => send(reply, capabilityStatement(deps.version, deps.now(), { writes: deps.importer !== undefined })));

    scope.get<{ Params: { type: string; id: string } }>('/:type/:id', { schema: { hide: true } }, async (req, reply) => {
      const principal = principalOf(req);
      const org = principal.organizationId;
      requirePermission(principal, 'phi:read', org);
      const { type } = req.params;
      const id = fromFhirId(req.params.id);
      if (isDerivedType(type)) throw new CareloopError('VALIDATION_FAILED', `${type} is read by search (${type}?patient=<id>); see /fhir/R4/metadata`);
      if (!isImportedType(type)) throw new CareloopError('NOT_FOUND', `${type.slice(0, 64)} is not a resource type this server holds`);
      const { resources: found, patientIds } = await reader.sealed(org, type, { ids: [id], limit: 1 });
      await audited(org, principal, req.ip, 'fhir.resource.read', found, patientIds[0] ?? null);
      if (found[0] === undefined) throw new CareloopError('NOT_FOUND', `${type}/${id.slice(0, 64)} is not known`);
      return send(reply, found[0]);
    });

    scope.get<{ Params: { type: string }; Querystring: Record<string, string> }>('/:type', { schema: { hide: true } }, async (req, reply) => {
      const principal = principalOf(req);
      const org = principal.organizationId;
      requirePermission(principal, 'phi:read', org);
      const { type } = req.params;
      const params = SEARCHABLE[type];
      if (params === undefined) throw new CareloopError('VALIDATION_FAILED', `search on ${type.slice(0, 64)} is not supported; see /fhir/R4/metadata`);
      const unknown = Object.keys(req.query).filter((k) => !params.includes(k) && k !== '_count');
      if (unknown.length > 0) throw new CareloopError('VALIDATION_FAILED', `unsupported search parameter ${unknown[0]?.slice(0, 40)}; ${type} supports ${params.join(', ')}`);
      const limit = Math.min(500, Math.max(1, Number(req.query['_count'] ?? 100) || 100));
      let patientId: string | undefined;
      let ids: string[] | undefined;
      if (type === 'Patient') {
        const ident = req.query['identifier'] ?? '';
        const bar = ident.indexOf('|');
        if (bar < 1) throw new CareloopError('VALIDATION_FAILED', 'Patient search needs identifier=system|value');
        ids = await deps.vault.findByIdentifier(actorOf(principal, { ip: req.ip, service: 'api' }), org, ident.slice(0, bar), ident.slice(bar + 1), 'treatment');
      } else {
        const p = req.query['patient'] ?? req.query['subject'] ?? '';
        patientId = fromFhirId(p.replace(/^Patient\//, ''));
        if (patientId === '') throw new CareloopError('VALIDATION_FAILED', `${type} search needs patient=<id>`);
      }
      const found: Resource[] = ids !== undefined && ids.length === 0 ? []
        : type === 'Communication' && patientId !== undefined ? (await reader.communications(org, patientId)).slice(-limit)
          : type === 'MedicationStatement' ? (await reader.medicationStatements(org, { ...(patientId ? { patientId } : {}), limit })).resources
            : (await reader.sealed(org, type, { ...(ids ? { ids } : {}), ...(patientId ? { patientId } : {}), limit })).resources;
      await audited(org, principal, req.ip, 'fhir.resource.search', found, patientId ?? null);
      return send(reply, {
        resourceType: 'Bundle', type: 'searchset', total: found.length,
        entry: found.map((r) => ({ fullUrl: `${type}/${String(r['id'])}`, resource: r, search: { mode: 'match' } })),
      });
    });
  }, { prefix: '/fhir/R4' });
}
