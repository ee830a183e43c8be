import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal } from '../../platform/auth/principal.js';
import type { Logger } from '../../platform/log.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';
import { ErrorBody, installCommonHandlers } from '../http.js';
import { installPrincipal } from './principal.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerOrganizationRoutes } from './routes/organization.js';
import { registerPatientRoutes, type PatientRoutesDeps } from './routes/patients.js';
import { registerWorkflowRoutes, type WorkflowRoutesDeps } from './routes/workflows.js';
import { registerFhirRoutes, type FhirRoutesDeps } from '../fhir/routes.js';

export interface ApiAppOptions extends PatientRoutesDeps {
  log: Logger;
  version: string;
  https?: { cert: Buffer; key: Buffer } | null;
  bodyLimit: number;
  authenticate(header: string | undefined): Promise<Principal>;
  /** Token buckets per IP (every request) and per credential (authenticated requests). */
  limiter: RateLimiter | null;
  /** Workflow administration; absent, the workflow routes are not offered. */
  workflows?: WorkflowRoutesDeps;
  /** The FHIR R4 read API under /fhir/R4; absent, it is not offered. */
  fhir?: FhirRoutesDeps;
}

export type ApiApp = FastifyInstance & { withTypeProvider: FastifyInstance['withTypeProvider'] };

/**
 * The admin and integration HTTP API, built apart from listen() so tests use inject(). Every route
 * but /openapi.json needs credentials (an API key or a staff OIDC token) and is scoped to the
 * caller's organisation; every body and parameter has a schema; unknown fields are rejected.
 */
export async function buildApiApp(opts: ApiAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    loggerInstance: opts.log as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installCommonHandlers(app, opts.limiter);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Careloop admin API', version: opts.version, description: 'Organisations, patients (PHI vault), API keys and audit. Errors are {code, message}.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key (ck_…) or a staff OIDC token' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addSchema(ErrorBody);
  installPrincipal(app, opts);
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.get('/v1/version', { schema: { summary: 'The API version', response: { 200: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } }, required: ['name', 'version'] } } } },
    async () => ({ name: 'careloop', version: opts.version }));
  registerOrganizationRoutes(app, opts.pool);
  registerPatientRoutes(app, opts);
  registerApiKeyRoutes(app, opts);
  registerAuditRoutes(app, opts);
  if (opts.workflows !== undefined) registerWorkflowRoutes(app, opts.workflows);
  if (opts.fhir !== undefined) await registerFhirRoutes(app, opts.fhir);
  return app;
}
