import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Actor } from '../platform/audit/types.js';
import type { Config } from '../platform/config/config.js';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { createLogger } from '../platform/log.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import type { Security } from '../platform/service/security.js';
import type { PgPool } from '../platform/storage/postgres.js';
import type { Keyring } from '../platform/crypto/keyring.js';
import { sealCarePlanBacklog, sealCarePlanText } from '../platform/stores/care-plan-text.js';
import { DEMO_ORGANIZATION, DEMO_PATIENTS, type DemoPatientSeed } from './demo-data.js';
import { StaffAccounts } from '../platform/auth/staff-accounts.js';

export interface DemoFile {
  organizationId: string;
  adminApiKey: string;
  apiUrl: string;
  gatewayUrl: string;
  chatPageUrl: string;
  /** The staff portal, and the demo organisation admin's sign-in there (development only). */
  portalUrl: string;
  staffSignIn: { email: string; password: string };
  patients: Array<{ id: string; token: string; label: string }>;
}

const SEED_ACTOR: Actor = { kind: 'system', id: 'careloop-seed', service: 'cli' };
const DEMO_KEY_NAME = 'demo admin (careloop seed)';
/** The demo organisation admin of the portal's built-in sign-in; its password is reset by every seed. */
export const DEMO_STAFF = { email: 'admin@sunrise-clinic.example', name: 'Dana Admin', password: 'careloop-demo-admin' } as const;

export function demoFilePath(cfg: Config): string {
  return join(repoRoot(), cfg.stack.dir, 'demo.json');
}

async function upsertOrganization(pool: PgPool): Promise<void> {
  const o = DEMO_ORGANIZATION;
  await pool.query(
    `INSERT INTO organizations (id, slug, display_name, timezone, languages, emergency_number, crisis_number, poison_control_number, care_team_contact)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, timezone = EXCLUDED.timezone, languages = EXCLUDED.languages, emergency_number = EXCLUDED.emergency_number,
       crisis_number = EXCLUDED.crisis_number, poison_control_number = EXCLUDED.poison_control_number, care_team_contact = EXCLUDED.care_team_contact`,
    [o.id, o.slug, o.displayName, o.timezone, o.languages, o.emergencyNumber, o.crisisNumber, o.poisonControlNumber, o.careTeamContact]);
}

/** The demo patient's pseudonymous id: found in the vault by phone, or enrolled there. */
async function enrol(security: Security, keyring: Keyring, pool: PgPool, p: DemoPatientSeed): Promise<string> {
  const org = DEMO_ORGANIZATION.id;
  const found = await security.vault.findByPhone(SEED_ACTOR, org, p.phone, 'operations');
  const id = found[0] ?? (await security.vault.createPatient(SEED_ACTOR, org, { givenName: p.given, familyName: p.family, phone: p.phone, birthDate: p.birthDate }, 'operations')).patientId;
  await pool.query(
    `INSERT INTO patients (id, organization_id, preferred_language, timezone) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET preferred_language = EXCLUDED.preferred_language, status = 'active', updated_at = now()`,
    [id, org, p.language, DEMO_ORGANIZATION.timezone]);
  await pool.query('DELETE FROM patient_medications WHERE patient_id = $1', [id]);
  for (const [j, med] of p.medications.entries()) {
    const medId = `${id}_m${j + 1}`;
    const text = await sealCarePlanText(keyring, org, id, medId, med);
    await pool.query(
      'INSERT INTO patient_medications (id, patient_id, organization_id, key_id, sealed, schedule_times) VALUES ($1, $2, $3, $4, $5, $6)',
      [medId, id, org, text.keyId, text.sealed, med.times]);
  }
  return id;
}

/** A fresh admin API key for the demo organisation; the previous seed's key is revoked. */
async function demoApiKey(security: Security): Promise<string> {
  for (const k of await security.apiKeys.list(DEMO_ORGANIZATION.id)) {
    if (k.name === DEMO_KEY_NAME && k.revokedAt === null) await security.apiKeys.revoke(DEMO_ORGANIZATION.id, k.id);
  }
  return (await security.apiKeys.create(DEMO_ORGANIZATION.id, 'org_admin', DEMO_KEY_NAME)).token;
}

/**
 * Seeds the demo organisation and its 20 patients (identities in the vault, care plans in the
 * system of record; idempotent), mints session tokens and an admin API key, writes .stack/demo.json.
 */
export async function seedDemo(cfg: Config): Promise<DemoFile> {
  const deps = new Dependencies(cfg, createLogger({ level: 'silent' }));
  try {
    const [pool, security, keyring] = [await deps.postgres(), await deps.security(), await deps.keyring()];
    await upsertOrganization(pool);
    const secret = sessionSecret(cfg);
    const patients: DemoFile['patients'] = [];
    for (const p of DEMO_PATIENTS) {
      const id = await enrol(security, keyring, pool, p);
      const token = await issueSessionToken({ organizationId: DEMO_ORGANIZATION.id, patientId: id, ttlMs: cfg.auth.sessionTtl }, secret);
      patients.push({ id, token, label: `${p.given} ${p.family} (${p.language}) · ${p.medications.map((x) => x.name).join(', ')}` });
    }
    const scheme = cfg.services.tlsCertFile !== '' ? 's' : '';
    const host = cfg.services.host;
    if (cfg.env !== 'production') await new StaffAccounts(pool).upsert(DEMO_ORGANIZATION.id, { email: DEMO_STAFF.email, name: DEMO_STAFF.name, role: 'org_admin', password: DEMO_STAFF.password });
    const demo: DemoFile = {
      organizationId: DEMO_ORGANIZATION.id,
      adminApiKey: await demoApiKey(security),
      apiUrl: `http${scheme}://${host}:${cfg.services.apiPort}`,
      gatewayUrl: `ws${scheme}://${host}:${cfg.services.gatewayPort}/v1/chat`,
      chatPageUrl: `http${scheme}://${host}:${cfg.services.gatewayPort}/`,
      portalUrl: `http${scheme}://${host}:${cfg.services.apiPort}/portal/`,
      staffSignIn: { email: DEMO_STAFF.email, password: cfg.env === 'production' ? '' : DEMO_STAFF.password },
      patients,
    };
    const file = demoFilePath(cfg);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
    return demo;
  } finally {
    await deps.close();
  }
}

/**
 * Load-test patients of the demo organisation: pseudonymous rows and care plans only (the chat path
 * never reads the vault), inserted in bulk, with tokens, written to .stack/load.json in the demo
 * file's format for perf/load-harness.
 */
export async function seedLoadPatients(cfg: Config, count: number): Promise<string> {
  const deps = new Dependencies(cfg, createLogger({ level: 'silent' }));
  try {
    const pool = await deps.postgres();
    await upsertOrganization(pool);
    const ids = Array.from({ length: count }, (_, i) => `pt_load${String(i + 1).padStart(6, '0')}`);
    const meds = ['Metformin', 'Lisinopril', 'Atorvastatin', 'Amlodipine', 'Levothyroxine'];
    await pool.query(
      `INSERT INTO patients (id, organization_id, preferred_language) SELECT unnest($1::text[]), $2, 'en'
       ON CONFLICT (id) DO UPDATE SET status = 'active', updated_at = now()`, [ids, DEMO_ORGANIZATION.id]);
    await pool.query(
      `INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times)
       SELECT p || '_m1', p, $2, ($3::text[])[1 + (row_number() OVER () % 5)], '10 mg', ARRAY['08:00'] FROM unnest($1::text[]) AS p
       ON CONFLICT (id) DO NOTHING`, [ids, DEMO_ORGANIZATION.id, meds]);
    // Synthetic load patients: written in one statement, then sealed like every care plan.
    await sealCarePlanBacklog(pool, await deps.keyring(), { organizationIds: [DEMO_ORGANIZATION.id] });
    const secret = sessionSecret(cfg);
    const patients = await Promise.all(ids.map(async (id) => ({
      id, label: id, token: await issueSessionToken({ organizationId: DEMO_ORGANIZATION.id, patientId: id, ttlMs: cfg.auth.sessionTtl }, secret),
    })));
    const host = cfg.services.host;
    const file = join(repoRoot(), cfg.stack.dir, 'load.json');
    writeFileSync(file, JSON.stringify({
      organizationId: DEMO_ORGANIZATION.id, adminApiKey: '', apiUrl: `http://${host}:${cfg.services.apiPort}`,
      gatewayUrl: `ws://${host}:${cfg.services.gatewayPort}/v1/chat`, chatPageUrl: `http://${host}:${cfg.services.gatewayPort}/`, patients,
    }, null, 2) + '\n', { mode: 0o600 });
    return file;
  } finally {
    await deps.close();
  }
}
