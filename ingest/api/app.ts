import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal } from '../../platform/auth/principal.js';
import type { Logger } from '../../platform/log.js';
import type { Metrics } from '../../platform/service/metrics.js';
import type { RateLimiter } from '../../platform/stores/rate-limit.js';
import { Type } from '@sinclair/typebox';
import { ErrorBody, installCommonHandlers, publicErrorResponses } from '../http.js';
import { installApiDescription } from '../openapi.js';
import { REFERENCE_PAGE_CSP, referencePage } from '../reference-page.js';
import { API_OPERATIONS, API_TAGS } from './operations.js';
import { installPrincipal } from './principal.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerOrganizationRoutes } from './routes/organization.js';
import { registerPatientRoutes, type PatientRoutesDeps } from './routes/patients.js';
import { registerWorkflowRoutes, type WorkflowRoutesDeps } from './routes/workflows.js';
import { registerFhirRoutes, type FhirRoutesDeps } from '../fhir/routes.js';
import { registerInboxRoutes, type InboxRoutesDeps } from './routes/inbox.js';
import { registerEhrEndpointRoutes } from './routes/ehr-endpoint.js';
import { registerCaregiverRoutes, type CaregiverRoutesDeps } from './routes/caregivers.js';
import type { EhrEndpointStore } from '../../platform/stores/ehr-endpoints.js';
import { registerAnalyticsRoutes, type AnalyticsRoutesDeps } from './routes/analytics.js';
import { registerPortalDataRoutes, type PortalDataDeps } from './routes/portal-data.js';
import { registerPortalStatic, type PortalStaticOptions } from './routes/portal-static.js';
import { registerCampaignRoutes, type CampaignRoutesDeps } from './routes/campaigns.js';

export interface ApiAppOptions extends PatientRoutesDeps {
  log: Logger;
  version: string;
  /** The process's metrics: HTTP requests and durations are counted when given. */
  metrics?: Metrics;
  https?: { cert: Buffer; key: Buffer } | null;
  bodyLimit: number;
  authenticate(header: string | undefined): Promise<Principal>;
  /** Token buckets per IP (every request) and per credential (authenticated requests). */
  limiter: RateLimiter | null;
  /** Workflow administration; absent, the workflow routes are not offered. */
  workflows?: WorkflowRoutesDeps;
  /** The FHIR R4 read API under /fhir/R4; absent, it is not offered. */
  fhir?: FhirRoutesDeps;
  /** The care-team inbox (tasks, replies to patients, on-call acknowledgements); absent, it is not offered. */
  inbox?: InboxRoutesDeps;
  /** Each organisation's EHR endpoint for bookings; absent, its routes are not offered. */
  ehrEndpoints?: EhrEndpointStore;
  /** A patient's caregivers (named, listed, removed); absent, their routes are not offered. */
  caregivers?: CaregiverRoutesDeps;
  /** The portal's own routes (session, staff accounts, patient search, audit log); absent, not offered. */
  portalData?: Omit<PortalDataDeps, 'pool' | 'security' | 'now'>;
  /** The dashboards over ClickHouse; absent, not offered. */
  analytics?: AnalyticsRoutesDeps;
  /** The web portal's static files under /portal; absent, not served. */
  portal?: PortalStaticOptions;
  /** Tenants (platform operator), partners, campaigns, reports and consents; absent, their routes are not offered and suspension is not checked. */
  campaigns?: CampaignRoutesDeps;
}

export type ApiApp = FastifyInstance & { withTypeProvider: FastifyInstance['withTypeProvider'] };

/**
 * The admin and integration HTTP API, built apart from listen() so tests use inject(). Every route
 * but /v1/version, /openapi.json and /docs needs credentials (an API key or a staff OIDC token) and is scoped to the
 * caller's organisation; every body and parameter has a schema; unknown fields are rejected.
 */
export async function buildApiApp(opts: ApiAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    loggerInstance: opts.log as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installCommonHandlers(app, opts.limiter, opts.metrics === undefined ? undefined : { server: 'api', metrics: opts.metrics });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Careloop admin API', version: opts.version,
        description: 'Organisations, patients (PHI vault), API keys, audit and workflows. Every route but /v1/version and the documents needs a credential and is scoped to its organisation. Errors are `{code, message}` with a stable code; each error status lists its codes. An interactive reference is served at /docs.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      tags: API_TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key (ck_…) or a staff OIDC token' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addSchema(ErrorBody);
  const tenants = opts.campaigns?.tenants;
  installPrincipal(app, { ...opts, ...(tenants === undefined ? {} : { suspended: (org: string) => tenants.suspended(org) }) });
  installApiDescription(app, API_OPERATIONS, 'api');
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', REFERENCE_PAGE_CSP).send(referencePage('Careloop admin API')));
  app.get('/v1/version', {
    config: { public: true },
    schema: { summary: 'The product name and version (no credentials needed)', security: [], response: { 200: Type.Object({ name: Type.String(), version: Type.String() }), ...publicErrorResponses } },
  }, async () => ({ name: 'careloop', version: opts.version }));
  registerOrganizationRoutes(app, opts.pool);
  registerPatientRoutes(app, opts);
  registerApiKeyRoutes(app, opts);
  registerAuditRoutes(app, opts);
  if (opts.workflows !== undefined) registerWorkflowRoutes(app, opts.workflows);
  if (opts.fhir !== undefined) await registerFhirRoutes(app, opts.fhir);
  if (opts.inbox !== undefined) registerInboxRoutes(app, opts.inbox);
  if (opts.ehrEndpoints !== undefined) registerEhrEndpointRoutes(app, opts.ehrEndpoints);
  if (opts.caregivers !== undefined) registerCaregiverRoutes(app, opts.caregivers);
  if (opts.portalData !== undefined) registerPortalDataRoutes(app, { ...opts.portalData, pool: opts.pool, security: opts.security, now: opts.now });
  if (opts.analytics !== undefined) registerAnalyticsRoutes(app, opts.analytics);
  if (opts.portal !== undefined) registerPortalStatic(app, opts.portal);
  if (opts.campaigns !== undefined) registerCampaignRoutes(app, opts.campaigns);
  return app;
}
