import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePermission } from '../../../platform/auth/principal.js';
import { ORG_ROLES } from '../../../platform/auth/roles.js';
import type { Security } from '../../../platform/service/security.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id, OrgParams } from './common.js';

// An organisation's keys hold an organisation's roles; platform operator keys are made by the CLI.
const Role = Type.Union(ORG_ROLES.map((r) => Type.Literal(r)));

/** API keys for integrations: the secret is shown once at creation and stored only as a hash. */
export function registerApiKeyRoutes(app: FastifyInstance, deps: { security: Security }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/v1/organizations/:organizationId/api-keys', {
    schema: { summary: 'The organisation\'s API keys (no secrets)', params: OrgParams, response: { 200: Type.Object({ apiKeys: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), createdAt: Type.String(), revoked: Type.Boolean(), partnerId: Type.Union([Type.String(), Type.Null()]) })) }), ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'api_keys:manage', req.params.organizationId);
    const keys = await deps.security.apiKeys.list(req.params.organizationId);
    return { apiKeys: keys.map((k) => ({ id: k.id, name: k.name, role: k.role, createdAt: k.createdAt.toISOString(), revoked: k.revokedAt !== null, partnerId: k.partnerId })) };
  });
  r.post('/v1/organizations/:organizationId/api-keys', {
    schema: { summary: 'Create an API key; its token is returned once (a partner key names its partnerId)', params: OrgParams, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: Role, partnerId: Type.Optional(Id) }, { additionalProperties: false }), response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), ...errorResponses } },
  }, async (req, reply) => {
    requirePermission(principalOf(req), 'api_keys:manage', req.params.organizationId);
    const key = await deps.security.apiKeys.create(req.params.organizationId, req.body.role, req.body.name, req.body.partnerId ?? null);
    return reply.code(201).send({ id: key.id, token: key.token });
  });
  r.delete('/v1/organizations/:organizationId/api-keys/:keyId', {
    schema: { summary: 'Revoke an API key', params: Type.Object({ organizationId: Id, keyId: Id }, { additionalProperties: false }), response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    requirePermission(principalOf(req), 'api_keys:manage', req.params.organizationId);
    await deps.security.apiKeys.revoke(req.params.organizationId, req.params.keyId);
    return reply.code(204).send(null);
  });
}
