import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePermission } from '../../../platform/auth/principal.js';
import { verifyAuditChain } from '../../../platform/audit/verify.js';
import type { PgPool } from '../../../platform/storage/postgres.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { OrgParams } from './common.js';

/** Verifies the organisation's hash-chained audit log (tampering shows as the first broken row). */
export function registerAuditRoutes(app: FastifyInstance, deps: { pool: PgPool }): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get('/v1/organizations/:organizationId/audit/verify', {
    schema: { summary: 'Verify the audit chain', params: OrgParams, response: { 200: Type.Object({ ok: Type.Boolean(), rows: Type.Integer(), firstBrokenId: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) }), ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'audit:read', req.params.organizationId);
    const r = await verifyAuditChain(deps.pool, { organizationId: req.params.organizationId });
    return { ok: r.ok, rows: r.rows, ...(r.firstBrokenId ? { firstBrokenId: String(r.firstBrokenId) } : {}), ...(r.reason ? { reason: r.reason } : {}) };
  });
}
