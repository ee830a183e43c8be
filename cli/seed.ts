import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../platform/config/config.js';
import { repoRoot } from '../platform/paths.js';
import { createPgPool, type PgPool } from '../platform/storage/postgres.js';
import { sessionSecret } from '../platform/auth/secrets.js';
import { issueSessionToken } from '../platform/auth/session-tokens.js';
import { DEMO_ORGANIZATION, DEMO_PATIENTS, type DemoPatientSeed } from './demo-data.js';

export interface DemoFile {
  organizationId: string;
  adminApiKey: string;
  apiUrl: string;
  gatewayUrl: string;
  chatPageUrl: string;
  patients: Array<{ id: string; token: string; label: string }>;
}

export function demoFilePath(cfg: Config): string {
  return join(repoRoot(), cfg.stack.dir, 'demo.json');
}

export function demoPatientId(index: number): string {
  return `pt_demo${String(index + 1).padStart(2, '0')}`;
}

async function upsertOrganization(pool: PgPool): Promise<void> {
  const o = DEMO_ORGANIZATION;
  await pool.query(
    `INSERT INTO organizations (id, slug, display_name, timezone, languages, emergency_number) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, timezone = EXCLUDED.timezone, languages = EXCLUDED.languages, emergency_number = EXCLUDED.emergency_number`,
    [o.id, o.slug, o.displayName, o.timezone, o.languages, o.emergencyNumber]);
}

async function upsertPatient(pool: PgPool, id: string, p: DemoPatientSeed): Promise<void> {
  await pool.query(
    `INSERT INTO patients (id, organization_id, preferred_language, timezone) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET preferred_language = EXCLUDED.preferred_language, status = 'active', updated_at = now()`,
    [id, DEMO_ORGANIZATION.id, p.language, DEMO_ORGANIZATION.timezone]);
  await pool.query('DELETE FROM patient_medications WHERE patient_id = $1', [id]);
  for (const [j, med] of p.medications.entries()) {
    await pool.query(
      'INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, schedule_times) VALUES ($1, $2, $3, $4, $5, $6)',
      [`${id}_m${j + 1}`, id, DEMO_ORGANIZATION.id, med.name, med.dose, med.times]);
  }
}

/**
 * Seeds the demo organisation and its 20 patients (idempotent: a rerun resets them to the seed),
 * mints fresh session tokens and writes .stack/demo.json for the chat page, tests and tools.
 */
export async function seedDemo(cfg: Config): Promise<DemoFile> {
  const pool = createPgPool({ ...cfg.postgres, poolMax: 2, applicationName: 'careloop-seed' });
  try {
    await upsertOrganization(pool);
    const secret = sessionSecret(cfg);
    const patients: DemoFile['patients'] = [];
    for (const [i, p] of DEMO_PATIENTS.entries()) {
      const id = demoPatientId(i);
      await upsertPatient(pool, id, p);
      const token = await issueSessionToken({ organizationId: DEMO_ORGANIZATION.id, patientId: id, ttlMs: cfg.auth.sessionTtl }, secret);
      patients.push({ id, token, label: `${p.given} ${p.family} (${p.language}) · ${p.medications.map((x) => x.name).join(', ')}` });
    }
    const host = cfg.services.host;
    const demo: DemoFile = {
      organizationId: DEMO_ORGANIZATION.id,
      adminApiKey: '',
      apiUrl: `http://${host}:${cfg.services.apiPort}`,
      gatewayUrl: `ws://${host}:${cfg.services.gatewayPort}/v1/chat`,
      chatPageUrl: `http://${host}:${cfg.services.gatewayPort}/`,
      patients,
    };
    const file = demoFilePath(cfg);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
    return demo;
  } finally {
    await pool.end();
  }
}
