import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePermission } from '../../../platform/auth/principal.js';
import { CareloopError, isCareloopError } from '../../../platform/errors.js';
import { diffLines, publishWorkflow, saveWorkflow, type WorkflowAdminDeps } from '../../../platform/workflow/admin.js';
import { compileWorkflow } from '../../../platform/workflow/compiler.js';
import type { Problem } from '../../../platform/workflow/problems.js';
import { ScriptSchema, parseScript } from '../../../platform/workflow/script-schema.js';
import { simulate, type SimulationOptions } from '../../../platform/workflow/simulator.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id, OrgParams } from './common.js';

export interface WorkflowRoutesDeps extends WorkflowAdminDeps {
  /** The NLU for simulations (the product's model); absent, simulate answers 503. */
  understand?: SimulationOptions['understand'];
}

const Source = Type.String({ minLength: 1, maxLength: 200_000 });
const ProblemT = Type.Object({ code: Type.String(), severity: Type.String(), message: Type.String(), line: Type.Integer(), column: Type.Integer() });
const WfParams = Type.Object({ organizationId: Id, workflowId: Id }, { additionalProperties: false });
/** Versions are PostgreSQL integers; a larger number is a 400, not a database error. */
const VersionNumber = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
const VersionParams = Type.Object({ organizationId: Id, workflowId: Id, version: VersionNumber }, { additionalProperties: false });
const PublicationT = Type.Object({ workflowId: Type.String(), version: Type.Integer(), kind: Type.String(), publishedBy: Type.String(), publishedAt: Type.String() });

function invalid(reply: FastifyReply, problems: Problem[]): FastifyReply {
  return reply.code(422).send({ code: 'WORKFLOW_INVALID', message: `the workflow has ${problems.length} problem(s); nothing was stored`, problems });
}

/** Workflows: validate, store versions, read, diff, publish, roll back and simulate, per organisation. */
export function registerWorkflowRoutes(app: FastifyInstance, deps: WorkflowRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const guard = (req: Parameters<typeof principalOf>[0], org: string) => { const p = principalOf(req); requirePermission(p, 'workflow:publish', org); return p; };
  const publication = (p: Awaited<ReturnType<typeof publishWorkflow>>) => ({ workflowId: p.workflowId, version: p.version, kind: p.kind, publishedBy: p.publishedBy, publishedAt: p.publishedAt.toISOString() });

  r.post('/v1/organizations/:organizationId/workflows/validate', {
    schema: { summary: 'Check a workflow without storing it', params: OrgParams, body: Type.Object({ source: Source }, { additionalProperties: false }), response: { 200: Type.Object({ ok: Type.Boolean(), problems: Type.Array(ProblemT) }), ...errorResponses } },
  }, async (req) => {
    guard(req, req.params.organizationId);
    const result = compileWorkflow(req.body.source, await deps.catalogFor(req.params.organizationId));
    return result.ok ? { ok: true, problems: result.warnings } : { ok: false, problems: result.problems };
  });

  r.post('/v1/organizations/:organizationId/workflows', {
    schema: { summary: 'Store a new version (not yet published)', params: OrgParams, body: Type.Object({ source: Source }, { additionalProperties: false }), response: { 201: Type.Object({ workflowId: Type.String(), version: Type.Integer(), warnings: Type.Array(ProblemT) }), 422: Type.Object({ code: Type.String(), message: Type.String(), problems: Type.Array(ProblemT) }), ...errorResponses } },
  }, async (req, reply) => {
    const p = guard(req, req.params.organizationId);
    const saved = await saveWorkflow(deps, req.params.organizationId, req.body.source, `${p.kind}:${p.id}`);
    if (!saved.ok) return invalid(reply, saved.problems);
    return reply.code(201).send({ workflowId: saved.workflowId, version: saved.version, warnings: saved.warnings });
  });

  r.get('/v1/organizations/:organizationId/workflows', {
    schema: { summary: 'The organisation\'s workflows with their latest and active versions', params: OrgParams, response: { 200: Type.Object({ workflows: Type.Array(Type.Object({ workflowId: Type.String(), name: Type.String(), latestVersion: Type.Integer(), activeVersion: Type.Union([Type.Integer(), Type.Null()]) })) }), ...errorResponses } },
  }, async (req) => {
    guard(req, req.params.organizationId);
    return { workflows: await deps.repo.list(req.params.organizationId) };
  });

  r.get('/v1/organizations/:organizationId/workflows/:workflowId/versions/:version', {
    schema: { summary: 'One stored version: source, author, time', params: VersionParams, response: { 200: Type.Object({ workflowId: Type.String(), version: Type.Integer(), source: Type.String(), author: Type.String(), createdAt: Type.String() }), ...errorResponses } },
  }, async (req) => {
    guard(req, req.params.organizationId);
    const v = await deps.repo.getVersion(req.params.organizationId, req.params.workflowId, req.params.version);
    if (v === null) throw new CareloopError('NOT_FOUND', 'no such workflow version');
    return { workflowId: v.workflowId, version: v.version, source: v.source, author: v.author, createdAt: v.createdAt.toISOString() };
  });

  r.get('/v1/organizations/:organizationId/workflows/:workflowId/diff', {
    schema: { summary: 'Line diff between two versions', params: WfParams, querystring: Type.Object({ from: VersionNumber, to: VersionNumber }, { additionalProperties: false }), response: { 200: Type.Object({ diff: Type.String() }), ...errorResponses } },
  }, async (req) => {
    guard(req, req.params.organizationId);
    const [a, b] = await Promise.all([req.query.from, req.query.to].map((v) => deps.repo.getVersion(req.params.organizationId, req.params.workflowId, v)));
    if (a == null || b == null) throw new CareloopError('NOT_FOUND', 'no such workflow version');
    return { diff: diffLines(a.source, b.source) };
  });

  r.post('/v1/organizations/:organizationId/workflows/:workflowId/versions/:version/publish', {
    schema: { summary: 'Publish a stored version: every dialogue instance switches to it for new conversations', params: VersionParams, response: { 200: PublicationT, ...errorResponses } },
  }, async (req) => {
    const p = guard(req, req.params.organizationId);
    return publication(await publishWorkflow(deps, req.params.organizationId, req.params.workflowId, req.params.version, `${p.kind}:${p.id}`, 'publish'));
  });

  r.post('/v1/organizations/:organizationId/workflows/:workflowId/rollback', {
    schema: { summary: 'Make an earlier version active again', params: WfParams, body: Type.Object({ version: VersionNumber }, { additionalProperties: false }), response: { 200: PublicationT, ...errorResponses } },
  }, async (req) => {
    const p = guard(req, req.params.organizationId);
    return publication(await publishWorkflow(deps, req.params.organizationId, req.params.workflowId, req.body.version, `${p.kind}:${p.id}`, 'rollback'));
  });

  r.post('/v1/organizations/:organizationId/workflows/simulate', {
    schema: {
      summary: 'Run a scripted conversation against a draft; touches no patient', params: OrgParams,
      body: Type.Object({ source: Source, script: ScriptSchema }, { additionalProperties: false }),
      response: { 200: Type.Object({ passed: Type.Boolean(), entries: Type.Array(Type.Object({}, { additionalProperties: true })) }), 422: Type.Object({ code: Type.String(), message: Type.String(), problems: Type.Array(ProblemT) }), ...errorResponses },
    },
  }, async (req, reply) => {
    guard(req, req.params.organizationId);
    if (deps.understand === undefined) throw new CareloopError('DEPENDENCY_UNAVAILABLE', 'simulation needs the intent model; run npm run build');
    const compiled = compileWorkflow(req.body.source, await deps.catalogFor(req.params.organizationId));
    if (!compiled.ok) return invalid(reply, compiled.problems);
    try {
      const t = await simulate(compiled.workflow, parseScript(req.body.script), { understand: deps.understand });
      return { passed: t.passed, entries: t.entries as unknown as Array<Record<string, unknown>> };
    } catch (err) {
      if (isCareloopError(err)) throw err;
      throw new CareloopError('VALIDATION_FAILED', `the script cannot run: ${(err as Error).message}`);
    }
  });
}
