import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePermission } from '../../../platform/auth/principal.js';
import { CareloopError } from '../../../platform/errors.js';
import type { PgPool } from '../../../platform/storage/postgres.js';
import { ORGANIZATION_COLUMNS, organizationOf, type OrganizationRow } from '../../../platform/stores/patient-directory.js';
import { isTimeZone } from '../../../platform/time/zones.js';
import { parseQuietHours } from '../../../platform/reminders/quiet-hours.js';
import { errorResponses } from '../../http.js';
import { principalOf } from '../principal.js';
import { OrgParams } from './common.js';

const Phone = Type.String({ minLength: 2, maxLength: 32, pattern: '^[+0-9 ().-]+$' });
const FallbackText = Type.Object({ en: Type.Optional(Type.String({ maxLength: 500 })), es: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

const Hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const QuietHours = Type.Object({ start: Hhmm, end: Hhmm }, { additionalProperties: false });
const Language = Type.Union([Type.Literal('en'), Type.Literal('es')]);
// Reminder delivery for the whole organisation (a patient's own settings win over these).
const ReminderSettings = Type.Object({
  quietHours: Type.Union([QuietHours, Type.Null()]),
  dailyCap: Type.Integer({ minimum: 0, maximum: 50, description: 'proactive messages a patient gets a day at most; 0: no cap' }),
  caregiverMissedThreshold: Type.Integer({ minimum: 1, maximum: 30, description: 'missed doses in a row before caregivers are told' }),
  sendTime: Type.Boolean({ description: 'learned send times (Thompson sampling) move movable reminders inside their window' }),
}, { additionalProperties: false });

const Settings = Type.Object({
  id: Type.String(), displayName: Type.String(), timezone: Type.String(), languages: Type.Array(Type.String()),
  emergencyNumber: Type.String(), crisisNumber: Type.String(), poisonControlNumber: Type.String(), careTeamContact: Type.String(),
  fallbackText: FallbackText, reminders: ReminderSettings,
});

const SettingsPatch = Type.Object({
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  emergencyNumber: Type.Optional(Phone),
  crisisNumber: Type.Optional(Phone),
  poisonControlNumber: Type.Optional(Phone),
  careTeamContact: Type.Optional(Type.String({ maxLength: 200 })),
  fallbackText: Type.Optional(FallbackText),
  languages: Type.Optional(Type.Array(Language, { minItems: 1, maxItems: 2, uniqueItems: true })),
  reminders: Type.Optional(Type.Partial(ReminderSettings, { additionalProperties: false, minProperties: 1 })),
}, { additionalProperties: false, minProperties: 1 });

// The patch's fields and the columns they set: one list, so a new setting cannot be half wired.
const COLUMNS: ReadonlyArray<[keyof Static<typeof SettingsPatch>, string]> = [
  ['displayName', 'display_name'], ['timezone', 'timezone'], ['emergencyNumber', 'emergency_number'], ['crisisNumber', 'crisis_number'],
  ['poisonControlNumber', 'poison_control_number'], ['careTeamContact', 'care_team_contact'], ['fallbackText', 'fallback_text'],
  ['languages', 'languages'],
];

// The reminder settings and how each is set: one list, as above.
const REMINDER_SETS: ReadonlyArray<[keyof Static<typeof ReminderSettings>, (param: string) => string, (v: unknown) => unknown]> = [
  ['quietHours', (x) => `reminder_routine = CASE WHEN ${x}::jsonb IS NULL THEN reminder_routine - 'quietHours' ELSE jsonb_set(reminder_routine, '{quietHours}', ${x}::jsonb) END`, (v) => (v === null ? null : JSON.stringify(v))],
  ['dailyCap', (x) => `reminder_daily_cap = ${x}::integer`, (v) => v],
  ['caregiverMissedThreshold', (x) => `caregiver_missed_threshold = ${x}::integer`, (v) => v],
  ['sendTime', (x) => `send_time = coalesce(send_time, '{}'::jsonb) || jsonb_build_object('enabled', ${x}::boolean)`, (v) => v],
];

interface ReminderRow { reminder_routine: { quietHours?: unknown } | null; reminder_daily_cap: number; caregiver_missed_threshold: number; send_time: { enabled?: unknown } | null }

async function read(pool: PgPool, id: string): Promise<Static<typeof Settings>> {
  const { rows } = await pool.query<OrganizationRow & ReminderRow>(
    `SELECT ${ORGANIZATION_COLUMNS}, reminder_routine, reminder_daily_cap, caregiver_missed_threshold, send_time FROM organizations WHERE id = $1`, [id]);
  const row = rows[0];
  if (row === undefined) throw new CareloopError('NOT_FOUND', 'organisation not found');
  return {
    ...organizationOf(row),
    reminders: { quietHours: parseQuietHours(row.reminder_routine?.quietHours), dailyCap: row.reminder_daily_cap, caregiverMissedThreshold: row.caregiver_missed_threshold, sendTime: row.send_time?.enabled === true },
  };
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
    schema: { summary: 'Change the organisation\'s settings (safety numbers, care-team contact, fallback text, zone, languages, reminder delivery)', params: OrgParams, body: SettingsPatch, response: { 200: Settings, ...errorResponses } },
  }, async (req) => {
    requirePermission(principalOf(req), 'settings:manage', req.params.organizationId);
    if (req.body.timezone !== undefined && !isTimeZone(req.body.timezone)) throw new CareloopError('VALIDATION_FAILED', `unknown time zone ${req.body.timezone}`);
    const quiet = req.body.reminders?.quietHours;
    if (quiet !== undefined && quiet !== null && quiet.start === quiet.end) throw new CareloopError('VALIDATION_FAILED', 'quiet hours must start and end at different times', { details: { field: 'reminders.quietHours' } });
    const set = COLUMNS.filter(([field]) => req.body[field] !== undefined);
    const values: unknown[] = set.map(([field]) => (field === 'fallbackText' ? JSON.stringify(req.body[field]) : req.body[field]));
    const assignments = set.map(([, col], i) => `${col} = $${i + 2}`);
    const reminders = req.body.reminders ?? {};
    for (const [field, assign, encode] of REMINDER_SETS) {
      if (reminders[field] === undefined) continue;
      values.push(encode(reminders[field]));
      assignments.push(assign(`$${values.length + 1}`));
    }
    const { rowCount } = await pool.query(`UPDATE organizations SET ${assignments.join(', ')} WHERE id = $1`, [req.params.organizationId, ...values]);
    if (rowCount === 0) throw new CareloopError('NOT_FOUND', 'organisation not found');
    return read(pool, req.params.organizationId);
  });
}
