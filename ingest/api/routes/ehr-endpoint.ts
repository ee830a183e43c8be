import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePermission } from '../../../platform/auth/principal.js';
import { CareloopError } from '../../../platform/errors.js';
import type { EhrAuth, EhrEndpointStore } from '../../../platform/stores/ehr-endpoints.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { OrgParams } from './common.js';

const Url = Type.String({ minLength: 8, maxLength: 500, pattern: '^https?://' });

const Auth = Type.Union([
  Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('bearer'), token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal('smart_backend'), clientId: Type.String({ minLength: 1, maxLength: 200 }), tokenUrl: Url,
    scope: Type.Optional(Type.String({ maxLength: 500 })), kid: Type.String({ minLength: 1, maxLength: 200 }),
    privateKeyPem: Type.String({ minLength: 100, maxLength: 10_000, pattern: '-----BEGIN (RSA )?PRIVATE KEY-----' }),
  }, { additionalProperties: false }),
]);

const EndpointBody = Type.Object({ baseUrl: Url, auth: Auth }, { additionalProperties: false });
const EndpointView = Type.Object({ baseUrl: Type.String(), authKind: Type.String(), clientId: Type.Union([Type.String(), Type.Null()]), tokenUrl: Type.Union([Type.String(), Type.Null()]) });

/**
 * The organisation's EHR endpoint: the FHIR R4 server bookings and cancellations are made at, and
 * how Careloop authenticates there (a bearer token, or SMART backend services with a signing key).
 * The secret is sealed at rest and never shown back.
 */
export function registerEhrEndpointRoutes(app: FastifyInstance, store: EhrEndpointStore): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.put('/v1/organizations/:organizationId/ehr-endpoint', {
    schema: { summary: 'Set the organisation\'s EHR endpoint (FHIR R4 base URL and auth) used for bookings', params: OrgParams, body: EndpointBody, response: { 200: EndpointView, ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'settings:manage', req.params.organizationId);
    const a = req.body.auth;
    const auth: EhrAuth = a.kind === 'smart_backend' ? { ...a, scope: a.scope ?? 'system/Appointment.cru system/Slot.ru' } : a;
    await store.put(req.params.organizationId, { baseUrl: req.body.baseUrl, auth });
    const view = await store.describe(req.params.organizationId);
    if (view === undefined) throw new CareloopError('INTERNAL', 'the endpoint was not stored');
    return view;
  });
  r.get('/v1/organizations/:organizationId/ehr-endpoint', {
    schema: { summary: 'The organisation\'s EHR endpoint, without its secret', params: OrgParams, response: { 200: EndpointView, ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'settings:manage', req.params.organizationId);
    const view = await store.describe(req.params.organizationId);
    if (view === undefined) throw new CareloopError('NOT_FOUND', 'no EHR endpoint is configured');
    return view;
  });
}
