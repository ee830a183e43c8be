import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePermission } from '../../../platform/auth/principal.js';
import { CareloopError } from '../../../platform/errors.js';
import type { PgPool } from '../../../platform/storage/postgres.js';
import { ORGANIZATION_COLUMNS, organizationOf, type OrganizationRow } from '../../../platform/stores/patient-directory.js';
import { isTimeZone } from '../../../platform/time/zones.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { OrgParams } from './common.js';

const Phone = Type.String({ minLength: 2, maxLength: 32, pattern: '^[+0-9 ().-]+$' });
const FallbackText = Type.Object({ en: Type.Optional(Type.String({ maxLength: 500 })), es: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

const Settings = Type.Object({
  id: Type.String(), displayName: Type.String(), timezone: Type.String(), languages: Type.Array(Type.String()),
  emergencyNumber: Type.String(), crisisNumber: Type.String(), poisonControlNumber: Type.String(), careTeamContact: Type.String(),
  fallbackText: FallbackText,
});

const SettingsPatch = Type.Object({
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  emergencyNumber: Type.Optional(Phone),
  crisisNumber: Type.Optional(Phone),
  poisonControlNumber: Type.Optional(Phone),
  careTeamContact: Type.Optional(Type.String({ maxLength: 200 })),
  fallbackText: Type.Optional(FallbackText),
}, { additionalProperties: false, minProperties: 1 });

// The patch's fields and the columns they set: one list, so a new setting cannot be half wired.
const COLUMNS: ReadonlyArray<[keyof Static<typeof SettingsPatch>, string]> = [
  ['displayName', 'display_name'], ['timezone', 'timezone'], ['emergencyNumber', 'emergency_number'], ['crisisNumber', 'crisis_number'],
  ['poisonControlNumber', 'poison_control_number'], ['careTeamContact', 'care_team_contact'], ['fallbackText', 'fallback_text'],
];

async function read(pool: PgPool, id: string): Promise<Static<typeof Settings>> {
  const { rows } = await pool.query<OrganizationRow>(`SELECT ${ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1`, [id]);
  const row = rows[0];
  if (row === undefined) throw new CareloopError('NOT_FOUND', 'organisation not found');
  return organizationOf(row);
}

/**
 * The organisation's settings: who the safety replies send patients to (emergency, crisis line,
 * poison control), the pharmacist or care-team contact for medication questions, the fallback text.
 * Services cache settings for up to 30 s, so a change reaches every conversation within that.
 */
export function registerOrganizationRoutes(app: FastifyInstance, pool: PgPool): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/v1/organizations/:organizationId', {
    schema: { summary: 'The organisation\'s settings', params: OrgParams, response: { 200: Settings, ...errorResponses } },
  }, async (req) => {
    const principal = principalOf(req);
    if (principal.organizationId !== req.params.organizationId) throw new CareloopError('FORBIDDEN', 'not allowed for this organisation');
    return read(pool, req.params.organizationId);
  });

  r.patch('/v1/organizations/:organizationId', {
    schema: { summary: 'Change the organisation\'s settings (safety numbers, care-team contact, fallback text, zone)', params: OrgParams, body: SettingsPatch, response: { 200: Settings, ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'settings:manage', req.params.organizationId);
    if (req.body.timezone !== undefined && !isTimeZone(req.body.timezone)) throw new CareloopError('VALIDATION_FAILED', `unknown time zone ${req.body.timezone}`);
    const set = COLUMNS.filter(([field]) => req.body[field] !== undefined);
    const values = set.map(([field]) => (field === 'fallbackText' ? JSON.stringify(req.body[field]) : req.body[field]));
    const { rowCount } = await pool.query(`UPDATE organizations SET ${set.map(([, col], i) => `${col} = $${i + 2}`).join(', ')} WHERE id = $1`, [req.params.organizationId, ...values]);
    if (rowCount === 0) throw new CareloopError('NOT_FOUND', 'organisation not found');
    return read(pool, req.params.organizationId);
  });
}
