import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, requirePermission } from '../../../platform/auth/principal.js';
import { issueSessionToken } from '../../../platform/auth/session-tokens.js';
import { CareloopError } from '../../../platform/errors.js';
import type { Security } from '../../../platform/service/security.js';
import { isTimeZone } from '../../../platform/time/zones.js';
import type { PgPool } from '../../../platform/storage/postgres.js';
import { carePlanTextColumns, openCarePlanTexts, sealCarePlanText, type CarePlanTextCells } from '../../../platform/stores/care-plan-text.js';
import type { PatientIdentity } from '../../../platform/vault/types.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { Id, OrgParams, PatientParams } from './common.js';

export interface PatientRoutesDeps {
  security: Security;
  pool: PgPool;
  sessionSecret: Uint8Array;
  sessionTtlMs: number;
  /** The clock: session tokens expire relative to it. */
  now(): Date;
  /** Forgets a patient's conversation state and queued replies (erasure). */
  forgetConversation(patientId: string): Promise<void>;
}

const Identity = Type.Object({
  givenName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  familyName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  phone: Type.Optional(Type.String({ minLength: 5, maxLength: 32, pattern: '^[+0-9 ().-]+$' })),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  birthDate: Type.Optional(Type.String({ format: 'date' })),
  mrn: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  address: Type.Optional(Type.Object({
    line: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 4 }),
    city: Type.Optional(Type.String({ maxLength: 100 })), state: Type.Optional(Type.String({ maxLength: 100 })),
    postalCode: Type.Optional(Type.String({ maxLength: 20 })), country: Type.Optional(Type.String({ maxLength: 2, minLength: 2 })),
  }, { additionalProperties: false })),
  identifiers: Type.Optional(Type.Array(Type.Object({ system: Type.String({ minLength: 1, maxLength: 200 }), value: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), { maxItems: 10 })),
}, { additionalProperties: false });

const Medication = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  dose: Type.String({ maxLength: 50, default: '' }),
  times: Type.Array(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }), { maxItems: 12, default: [] }),
  /** The prescription's own instructions, which the assistant quotes when asked about changing a dose. */
  instructions: Type.String({ maxLength: 300, default: '' }),
}, { additionalProperties: false });

const NewPatient = Type.Object({
  identity: Identity,
  preferredLanguage: Type.Union([Type.Literal('en'), Type.Literal('es')], { default: 'en' }),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$' })),
  medications: Type.Array(Medication, { maxItems: 30, default: [] }),
}, { additionalProperties: false });

const PatientSummary = Type.Object({ id: Type.String(), status: Type.String(), preferredLanguage: Type.String() });

async function requirePatient(pool: PgPool, organizationId: string, patientId: string): Promise<{ status: string; preferred_language: string }> {
  const { rows } = await pool.query<{ status: string; preferred_language: string }>(
    `SELECT status, preferred_language FROM patients WHERE id = $1 AND organization_id = $2 AND status <> 'erased'`, [patientId, organizationId]);
  if (rows[0] === undefined) throw new CareloopError('NOT_FOUND', 'patient not found');
  return rows[0];
}

/** Organisation and patient routes: the care plan in the system of record, the identity in the vault. */
export function registerPatientRoutes(app: FastifyInstance, deps: PatientRoutesDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { pool, security } = deps;

  r.get('/v1/organizations/:organizationId/patients', {
    schema: {
      summary: 'Patients by pseudonymous id (no identifiers)', params: OrgParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'page size' })), after: Type.Optional(Type.String({ ...Id, description: 'the `next` of the previous page' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ patients: Type.Array(PatientSummary), next: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (req) => {
    requirePermission(principalOf(req), 'phi:read', req.params.organizationId);
    const limit = req.query.limit ?? 100;
    const { rows } = await pool.query<{ id: string; status: string; preferred_language: string }>(
      `SELECT id, status, preferred_language FROM patients WHERE organization_id = $1 AND status <> 'erased' AND id > $2 ORDER BY id LIMIT $3`,
      [req.params.organizationId, req.query.after ?? '', limit]);
    const patients = rows.map((p) => ({ id: p.id, status: p.status, preferredLanguage: p.preferred_language }));
    return { patients, next: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null };
  });

  r.post('/v1/organizations/:organizationId/patients', {
    schema: { summary: 'Enrol a patient: identity into the vault, care plan into the system of record', params: OrgParams, body: NewPatient, response: { 201: Type.Object({ patientId: Type.String() }), ...errorResponses } },
  }, async (req, reply) => {
    const principal = principalOf(req);
    const org = req.params.organizationId;
    requirePermission(principal, 'phi:write', org);
    const body: Static<typeof NewPatient> = req.body;
    if (body.timezone !== undefined && !isTimeZone(body.timezone)) {
      throw new CareloopError('VALIDATION_FAILED', 'timezone is not a known IANA time zone; use a name such as Europe/Madrid or America/New_York', { details: { field: 'timezone' } });
    }
    const { rowCount } = await pool.query('SELECT 1 FROM organizations WHERE id = $1', [org]);
    if (rowCount === 0) throw new CareloopError('NOT_FOUND', 'organisation not found');
    const { patientId } = await security.vault.createPatient(actorOf(principal, { ip: req.ip, service: 'api' }), org, body.identity as PatientIdentity, 'operations');
    await pool.query('INSERT INTO patients (id, organization_id, preferred_language, timezone) VALUES ($1, $2, $3, $4)', [patientId, org, body.preferredLanguage, body.timezone ?? null]);
    for (const m of body.medications) {
      const medId = `med_${randomUUID()}`;
      const text = await sealCarePlanText(security.keyring, org, patientId, medId, m);
      await pool.query('INSERT INTO patient_medications (id, patient_id, organization_id, key_id, sealed, schedule_times) VALUES ($1, $2, $3, $4, $5, $6)',
        [medId, patientId, org, text.keyId, text.sealed, m.times]);
    }
    return reply.code(201).send({ patientId });
  });

  r.get('/v1/organizations/:organizationId/patients/:patientId', {
    schema: { summary: 'A patient\'s identity (audited PHI read) and care plan', params: PatientParams, response: { 200: Type.Object({ id: Type.String(), status: Type.String(), preferredLanguage: Type.String(), identity: Identity, medications: Type.Array(Medication) }), ...errorResponses } },
  }, async (req) => {
    const principal = principalOf(req);
    const { organizationId: org, patientId } = req.params;
    requirePermission(principal, 'phi:read', org);
    const p = await requirePatient(pool, org, patientId);
    const identity = await security.vault.getIdentity(actorOf(principal, { ip: req.ip, service: 'api' }), org, patientId, 'treatment');
    const meds = await pool.query<CarePlanTextCells & { schedule_times: string[] }>(
      `SELECT ${carePlanTextColumns()}, schedule_times FROM patient_medications WHERE patient_id = $1 AND organization_id = $2 AND active ORDER BY created_at, id`, [patientId, org]);
    const texts = await openCarePlanTexts(security.keyring, meds.rows);
    return { id: patientId, status: p.status, preferredLanguage: p.preferred_language, identity, medications: meds.rows.map((m, i) => ({ name: texts[i]?.name ?? '', dose: texts[i]?.dose ?? '', times: m.schedule_times, instructions: texts[i]?.instructions ?? '' })) };
  });

  r.delete('/v1/organizations/:organizationId/patients/:patientId', {
    schema: { summary: 'Erase a patient: crypto-shred the identity, drop conversation state', params: PatientParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    const principal = principalOf(req);
    const { organizationId: org, patientId } = req.params;
    requirePermission(principal, 'phi:write', org);
    await requirePatient(pool, org, patientId);
    await security.vault.erasePatient(actorOf(principal, { ip: req.ip, service: 'api' }), org, patientId, 'erasure_request');
    await pool.query(`UPDATE patients SET status = 'erased', updated_at = now() WHERE id = $1 AND organization_id = $2`, [patientId, org]);
    await pool.query('UPDATE patient_medications SET active = false WHERE patient_id = $1', [patientId]);
    await deps.forgetConversation(patientId);
    return reply.code(204).send(null);
  });

  r.post('/v1/organizations/:organizationId/patients/:patientId/session-tokens', {
    schema: { summary: 'A chat session token for a patient the caller has verified', params: PatientParams, response: { 201: Type.Object({ token: Type.String(), expiresAt: Type.String() }), ...errorResponses } },
  }, async (req, reply) => {
    const { organizationId: org, patientId } = req.params;
    requirePermission(principalOf(req), 'phi:write', org);
    await requirePatient(pool, org, patientId);
    // One clock reading for the token's expiry and the one we report, so they cannot disagree.
    const now = deps.now();
    const token = await issueSessionToken({ organizationId: org, patientId, ttlMs: deps.sessionTtlMs }, deps.sessionSecret, now);
    return reply.code(201).send({ token, expiresAt: new Date(now.getTime() + deps.sessionTtlMs).toISOString() });
  });
}
