import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../../platform/audit/audit-log.js';
import { actorOf, requirePermission } from '../../../platform/auth/principal.js';
import { isRole, ROLES } from '../../../platform/auth/roles.js';
import { MIN_PASSWORD_LENGTH, type StaffAccounts } from '../../../platform/auth/staff-accounts.js';
import { CareloopError } from '../../../platform/errors.js';
import type { Security } from '../../../platform/service/security.js';
import type { PgPool } from '../../../platform/storage/postgres.js';
import { randomBase62 } from '../../../platform/vault/ids.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id, OrgParams, PatientParams } from './common.js';

export interface PortalDataDeps {
  pool: PgPool;
  security: Security;
  staff: StaffAccounts;
  /** The patient's recent conversation (the gateway's sealed chat history, opened), oldest first. */
  conversation?(organizationId: string, patientId: string): Promise<Array<{ id: string; from: string; text: string; at: number }>>;
  now(): Date;
}

const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const StaffView = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), role: Type.String(), partnerId: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String() });
const AuditEvent = Type.Object({
  id: Type.String(), seq: Type.Integer(), at: Type.String(), actorKind: Type.String(), actorId: Type.String(), action: Type.String(),
  patientId: Type.Union([Type.String(), Type.Null()], { description: 'pseudonymous' }), purpose: Type.String(), outcome: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]), fields: Type.Array(Type.String()), resultCount: Type.Union([Type.Integer(), Type.Null()]),
});

async function audit(log: AuditLog, req: FastifyRequest, org: string, action: string, patientId: string | null, extra: { fields?: string[]; resultCount?: number; purpose?: 'treatment' | 'security' | 'operations' } = {}): Promise<void> {
  const { purpose = 'treatment', ...rest } = extra;
  await log.record({ organizationId: org, actor: actorOf(principalOf(req), { ip: req.ip, service: 'api' }), action, patientId, purpose, outcome: 'success', ...rest });
}

/**
 * What the portal needs beyond the other routes: who is signed in, the organisation's staff accounts
 * (of the built-in issuer), patient search through the vault's blind indexes, a patient's
 * conversation and adherence, and the audit log itself.
 */
export function registerPortalDataRoutes(app: FastifyInstance, deps: PortalDataDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { pool, security, staff } = deps;

  r.get('/v1/session', {
    schema: { summary: 'The caller: kind, id, organisation, role and permissions (and the staff account\'s name)', response: { 200: Type.Object({ kind: Type.String(), id: Type.String(), organizationId: Type.String(), role: Type.String(), permissions: Type.Array(Type.String()), name: Type.Union([Type.String(), Type.Null()]), email: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses } },
  }, async (req) => {
    const p = principalOf(req);
    const account = p.kind === 'staff' ? await staff.get(p.id) : null;
    return { kind: p.kind, id: p.id, organizationId: p.organizationId, role: p.role, permissions: [...p.permissions], name: account?.name ?? null, email: account?.email ?? null };
  });

  const staffBase = '/v1/organizations/:organizationId/staff';
  const view = (a: { id: string; email: string; name: string; role: string; partnerId: string | null; createdAt: Date }) => ({ id: a.id, email: a.email, name: a.name, role: a.role, partnerId: a.partnerId, createdAt: a.createdAt.toISOString() });
  r.get(staffBase, {
    schema: { summary: 'Staff accounts of the built-in sign-in (org_admin)', params: OrgParams, response: { 200: Type.Object({ staff: Type.Array(StaffView) }), ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'settings:manage', req.params.organizationId);
    return { staff: (await staff.list(req.params.organizationId)).map(view) };
  });
  r.post(staffBase, {
    schema: {
      summary: 'Create a staff account (org_admin); without a password, a one-time initial password is returned',
      params: OrgParams,
      body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }), name: Type.String({ minLength: 1, maxLength: 200 }), role: RoleT, partnerId: Type.Optional(Id), password: Type.Optional(Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: Type.Intersect([StaffView, Type.Object({ initialPassword: Type.Union([Type.String(), Type.Null()]) })]), ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.params.organizationId;
    requirePermission(principalOf(req), 'settings:manage', org);
    if (!isRole(req.body.role)) throw new CareloopError('VALIDATION_FAILED', 'unknown role');
    const initial = req.body.password === undefined ? randomBase62(16) : null;
    const a = await staff.create(org, { email: req.body.email, name: req.body.name, role: req.body.role, password: req.body.password ?? (initial as string), ...(req.body.partnerId === undefined ? {} : { partnerId: req.body.partnerId }) });
    await audit(security.audit, req, org, 'staff.account.create', null, { purpose: 'security', fields: ['email', 'name', 'role', ...(req.body.partnerId === undefined ? [] : ['partnerId'])] });
    return reply.code(201).send({ ...view(a), initialPassword: initial });
  });
  r.delete(`${staffBase}/:staffId`, {
    schema: { summary: 'Remove a staff account (org_admin): it can no longer sign in', params: Type.Object({ organizationId: Id, staffId: Id }, { additionalProperties: false }), response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    const p = principalOf(req);
    const org = req.params.organizationId;
    requirePermission(p, 'settings:manage', org);
    if (p.kind === 'staff' && p.id === req.params.staffId) throw new CareloopError('CONFLICT', 'you cannot remove your own account');
    if (!(await staff.remove(org, req.params.staffId))) throw new CareloopError('NOT_FOUND', 'staff account not found');
    await audit(security.audit, req, org, 'staff.account.remove', null, { purpose: 'security' });
    return reply.code(204).send(null);
  });

  r.get('/v1/organizations/:organizationId/patients/search', {
    schema: {
      summary: 'Find patients by MRN or phone through the vault\'s blind index (audited lookup; returns pseudonymous ids only)',
      params: OrgParams,
      querystring: Type.Object({ mrn: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), phone: Type.Optional(Type.String({ minLength: 5, maxLength: 32, pattern: '^[+0-9 ().-]+$' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ patients: Type.Array(Type.Object({ id: Type.String(), status: Type.String(), preferredLanguage: Type.String() })) }), ...errorResponses },
    },
  }, async (req) => {
    const p = principalOf(req);
    const org = req.params.organizationId;
    requirePermission(p, 'phi:read', org);
    const { mrn, phone } = req.query;
    if ((mrn === undefined) === (phone === undefined)) throw new CareloopError('VALIDATION_FAILED', 'give exactly one of mrn and phone', { details: { field: 'mrn' } });
    const actor = actorOf(p, { ip: req.ip, service: 'api' });
    const ids = mrn !== undefined ? await security.vault.findByMrn(actor, org, mrn, 'treatment') : await security.vault.findByPhone(actor, org, phone as string, 'treatment');
    if (ids.length === 0) return { patients: [] };
    const { rows } = await pool.query<{ id: string; status: string; preferred_language: string }>(
      `SELECT id, status, preferred_language FROM patients WHERE organization_id = $1 AND id = ANY($2) AND status <> 'erased' ORDER BY id`, [org, ids]);
    return { patients: rows.map((x) => ({ id: x.id, status: x.status, preferredLanguage: x.preferred_language })) };
  });

  r.get('/v1/organizations/:organizationId/patients/:patientId/conversation', {
    schema: { summary: 'The patient\'s recent conversation (audited PHI read)', params: PatientParams, response: { 200: Type.Object({ messages: Type.Array(Type.Object({ id: Type.String(), from: Type.String(), text: Type.String(), at: Type.String() })) }), ...errorResponses } },
  }, async (req) => {
    const { organizationId: org, patientId } = req.params;
    requirePermission(principalOf(req), 'phi:read', org);
    const { rowCount } = await pool.query(`SELECT 1 FROM patients WHERE id = $1 AND organization_id = $2 AND status <> 'erased'`, [patientId, org]);
    if (rowCount === 0) throw new CareloopError('NOT_FOUND', 'patient not found');
    const lines = deps.conversation === undefined ? [] : await deps.conversation(org, patientId);
    await audit(security.audit, req, org, 'patient.conversation.read', patientId, { fields: ['text'], resultCount: lines.length });
    return { messages: lines.map((l) => ({ id: l.id, from: l.from, text: l.text, at: new Date(l.at).toISOString() })) };
  });

  r.get('/v1/organizations/:organizationId/patients/:patientId/adherence', {
    schema: {
      summary: 'The patient\'s recorded doses by day and medication, and the share taken (last N days)', params: PatientParams,
      querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ days: Type.Integer(), recorded: Type.Integer(), taken: Type.Integer(), adherence: Type.Union([Type.Number(), Type.Null()]), byDay: Type.Array(Type.Object({ day: Type.String(), recorded: Type.Integer(), taken: Type.Integer() })), medications: Type.Array(Type.Object({ name: Type.String(), recorded: Type.Integer(), taken: Type.Integer() })) }), ...errorResponses },
    },
  }, async (req) => {
    const { organizationId: org, patientId } = req.params;
    requirePermission(principalOf(req), 'phi:read', org);
    const days = req.query.days ?? 30;
    const since = new Date(deps.now().getTime() - days * 86_400_000);
    const byDay = await pool.query<{ day: string; recorded: string; taken: string }>(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS recorded, count(*) FILTER (WHERE taken) AS taken
       FROM adherence_events WHERE patient_id = $1 AND organization_id = $2 AND occurred_at >= $3 GROUP BY 1 ORDER BY 1`, [patientId, org, since]);
    const meds = await pool.query<{ name: string | null; recorded: string; taken: string }>(
      `SELECT m.name, count(*) AS recorded, count(*) FILTER (WHERE a.taken) AS taken FROM adherence_events a LEFT JOIN patient_medications m ON m.id = a.medication_id
       WHERE a.patient_id = $1 AND a.organization_id = $2 AND a.occurred_at >= $3 GROUP BY m.name ORDER BY m.name`, [patientId, org, since]);
    const recorded = byDay.rows.reduce((n, x) => n + Number(x.recorded), 0);
    const taken = byDay.rows.reduce((n, x) => n + Number(x.taken), 0);
    await audit(security.audit, req, org, 'patient.adherence.read', patientId, { resultCount: recorded });
    return {
      days, recorded, taken, adherence: recorded === 0 ? null : Math.round((taken / recorded) * 10_000) / 10_000,
      byDay: byDay.rows.map((x) => ({ day: x.day, recorded: Number(x.recorded), taken: Number(x.taken) })),
      medications: meds.rows.map((x) => ({ name: x.name ?? 'unnamed', recorded: Number(x.recorded), taken: Number(x.taken) })),
    };
  });

  r.get('/v1/organizations/:organizationId/audit/events', {
    schema: {
      summary: 'The audit log, newest first (pseudonymous ids and field names only, never values)', params: OrgParams,
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'the `next` of the previous page (a seq)' })),
        patientId: Type.Optional(Id), action: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_.]+$' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ events: Type.Array(AuditEvent), next: Type.Union([Type.Integer(), Type.Null()]) }), ...errorResponses },
    },
  }, async (req) => {
    const org = req.params.organizationId;
    requirePermission(principalOf(req), 'audit:read', org);
    const limit = req.query.limit ?? 100;
    const { rows } = await pool.query<{ id: string; seq: string; at: Date; actor_kind: string; actor_id: string; action: string; patient_id: string | null; purpose: string; outcome: string; reason: string | null; fields: string[]; result_count: number | null }>(
      `SELECT id, seq, at, actor_kind, actor_id, action, patient_id, purpose, outcome, reason, fields, result_count FROM audit.events
       WHERE organization_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND ($3::text IS NULL OR patient_id = $3) AND ($4::text IS NULL OR action LIKE $4 || '%')
       ORDER BY seq DESC LIMIT $5`, [org, req.query.before ?? null, req.query.patientId ?? null, req.query.action ?? null, limit]);
    const events = rows.map((e) => ({ id: String(e.id), seq: Number(e.seq), at: e.at.toISOString(), actorKind: e.actor_kind, actorId: e.actor_id, action: e.action, patientId: e.patient_id, purpose: e.purpose, outcome: e.outcome, reason: e.reason, fields: e.fields, resultCount: e.result_count }));
    return { events, next: rows.length === limit ? (events[events.length - 1]?.seq ?? null) : null };
  });
}
