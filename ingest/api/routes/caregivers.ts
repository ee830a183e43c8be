import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../../platform/audit/audit-log.js';
import { actorOf, requirePermission } from '../../../platform/auth/principal.js';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import { CareloopError } from '../../../platform/errors.js';
import { CAREGIVER_PHONE_INDEX, CAREGIVER_PREFIX } from '../../../platform/reminders/caregiver.js';
import type { PgPool } from '../../../platform/storage/postgres.js';
import type { CaregiverStore } from '../../../platform/stores/caregivers.js';
import { blindDigest, type BlindIndexKeyProvider } from '../../../platform/vault/index-keys.js';
import { normalizePhone } from '../../../platform/vault/normalize.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id, PatientParams } from './common.js';

export interface CaregiverRoutesDeps {
  pool: PgPool;
  caregivers: CaregiverStore;
  keyring: Keyring;
  indexKeys: BlindIndexKeyProvider;
  audit: AuditLog;
}

const Scope = Type.Union([Type.Literal('missed_doses'), Type.Literal('missed_doses_with_medication')], { description: 'what the patient consented the caregiver may be told; only the second names medications' });

const NewCaregiver = Type.Object({
  phone: Type.String({ minLength: 5, maxLength: 32, pattern: '^[+0-9 ().-]+$', description: 'texted by SMS; stored sealed, never returned' }),
  consented: Type.Boolean({ description: 'the patient consents to this caregiver being told about missed doses' }),
  scope: Type.Optional(Scope),
}, { additionalProperties: false });

const CaregiverView = Type.Object({ id: Type.String(), channel: Type.String(), consented: Type.Boolean(), scope: Scope, optedOut: Type.Boolean(), active: Type.Boolean() });

async function requirePatient(pool: PgPool, organizationId: string, patientId: string): Promise<void> {
  const { rowCount } = await pool.query(`SELECT 1 FROM patients WHERE id = $1 AND organization_id = $2 AND status <> 'erased'`, [patientId, organizationId]);
  if (rowCount === 0) throw new CareloopError('NOT_FOUND', 'patient not found');
}

/** A patient's caregivers: named with consent and scope, listed without their number, removed; every change audited. */
export function registerCaregiverRoutes(app: FastifyInstance, deps: CaregiverRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/organizations/:organizationId/patients/:patientId/caregivers';

  r.post(base, {
    schema: { summary: 'Name a caregiver for a patient, with the patient\'s consent and its scope', params: PatientParams, body: NewCaregiver, response: { 201: Type.Object({ caregiverId: Type.String() }), ...errorResponses } },
  }, async (req, reply) => {
    const principal = principalOf(req);
    const { organizationId: org, patientId } = req.params;
    requirePermission(principal, 'phi:write', org);
    await requirePatient(deps.pool, org, patientId);
    const id = `cg_${randomUUID()}`;
    const phone = normalizePhone(req.body.phone);
    await deps.caregivers.upsert({ organizationId: org, id, patientId, channel: 'sms', contactRef: 'sealed', consented: req.body.consented, scope: req.body.scope ?? 'missed_doses' });
    await deps.caregivers.setPhone(org, id, await deps.keyring.sealText(org, CAREGIVER_PREFIX + id, phone), blindDigest(await deps.indexKeys.indexKey(org), CAREGIVER_PHONE_INDEX, phone));
    await deps.audit.record({ organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), action: 'reminders.caregiver.create', patientId, purpose: 'treatment', outcome: 'success', fields: ['phone', 'consent'] });
    return reply.code(201).send({ caregiverId: id });
  });

  r.get(base, {
    schema: { summary: 'A patient\'s caregivers (no numbers)', params: PatientParams, response: { 200: Type.Object({ caregivers: Type.Array(CaregiverView) }), ...errorResponses } },
  }, async (req) => {
    const { organizationId: org, patientId } = req.params;
    requirePermission(principalOf(req), 'phi:read', org);
    await requirePatient(deps.pool, org, patientId);
    const list = await deps.caregivers.of(org, patientId);
    return { caregivers: list.map((c) => ({ id: c.id, channel: c.channel, consented: c.consented, scope: c.scope, optedOut: c.optedOut, active: c.active })) };
  });

  r.delete(`${base}/:caregiverId`, {
    schema: { summary: 'Remove a caregiver (past contacts stay in the audit log)', params: Type.Object({ organizationId: Id, patientId: Id, caregiverId: Id }, { additionalProperties: false }), response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    const principal = principalOf(req);
    const { organizationId: org, patientId, caregiverId } = req.params;
    requirePermission(principal, 'phi:write', org);
    if (!(await deps.caregivers.remove(org, patientId, caregiverId))) throw new CareloopError('NOT_FOUND', 'caregiver not found');
    await deps.audit.record({ organizationId: org, actor: actorOf(principal, { ip: req.ip, service: 'api' }), action: 'reminders.caregiver.remove', patientId, purpose: 'treatment', outcome: 'success' });
    return reply.code(204).send(null);
  });
}
