import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PatientSignal } from '../schemas/generated/avro-types.js';
import type { Config } from '../platform/config/config.js';
import { createLogger } from '../platform/log.js';
import { repoRoot } from '../platform/paths.js';
import { Dependencies } from '../platform/service/dependencies.js';
import { publishWorkflow, saveWorkflow, type WorkflowAdminDeps } from '../platform/workflow/admin.js';
import { defaultCatalog } from '../platform/workflow/catalog.js';
import { WorkflowRepository } from '../platform/workflow/repository.js';
import { DEMO_ORGANIZATION, DEMO_PATIENTS } from './demo-data.js';

const AUTHOR = 'careloop up (demo)';

/** The library's programmes but the default, which every organisation runs built in. */
export function libraryProgrammes(): Array<{ file: string; source: string }> {
  const dir = join(repoRoot(), 'workflows/library');
  return readdirSync(dir).filter((f) => f.endsWith('.flow') && f !== 'default.flow').sort()
    .map((f) => ({ file: `workflows/library/${f}`, source: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * Publishes every library programme for the demo organisation: a new version only when the
 * source changed, and the active one published again otherwise (a fresh topic prefix starts
 * empty, and the compacted topic keeps one record per programme either way).
 */
export async function publishDemoProgrammes(deps: Dependencies): Promise<string[]> {
  const pool = await deps.postgres();
  const admin: WorkflowAdminDeps = { repo: new WorkflowRepository(pool), publisher: await deps.publisher(), catalogFor: async () => defaultCatalog(DEMO_ORGANIZATION.languages), now: () => new Date() };
  const org = DEMO_ORGANIZATION.id;
  const published: string[] = [];
  const existing = await admin.repo.list(org);
  for (const { file, source } of libraryProgrammes()) {
    const name = /^workflow "([^"]+)"/m.exec(source)?.[1];
    const known = existing.find((w) => w.name === name);
    const latest = known === undefined ? null : await admin.repo.getVersion(org, known.workflowId, known.latestVersion);
    let target: { workflowId: string; version: number };
    if (known !== undefined && latest !== null && latest.source === source) target = { workflowId: known.workflowId, version: known.latestVersion };
    else {
      const saved = await saveWorkflow(admin, org, source, AUTHOR);
      if (!saved.ok) throw new Error(`${file} does not compile: ${saved.problems.map((p) => p.message).join('; ')}`);
      target = saved;
    }
    await publishWorkflow(admin, org, target.workflowId, target.version, AUTHOR, 'publish');
    published.push(`${target.workflowId} v${target.version}`);
  }
  return published;
}

/**
 * Arms the demo's proactive reminders: a dose_due signal per demo patient for their first
 * medication (by care-plan id: the dialogue fills in its name), as the care plan's schedule would send it. The medication
 * adherence programme turns each into "Time for your …. Have you taken it?" with yes/no buttons,
 * waiting in the patient's outbox until the chat opens.
 */
export async function armDemoReminders(deps: Dependencies, now: number): Promise<number> {
  const pool = await deps.postgres();
  const { rows } = await pool.query<{ patient_id: string; id: string }>(
    `SELECT DISTINCT ON (m.patient_id) m.patient_id, m.id FROM patient_medications m JOIN patients p ON p.id = m.patient_id
      WHERE m.organization_id = $1 AND p.status = 'active' AND m.patient_id NOT LIKE 'pt_load%' ORDER BY m.patient_id, m.id LIMIT $2`, [DEMO_ORGANIZATION.id, DEMO_PATIENTS.length]);
  const signals: PatientSignal[] = rows.map((r) => ({
    signalId: `demo-reminder:${randomUUID()}`, traceId: randomUUID(), organizationId: DEMO_ORGANIZATION.id, patientId: r.patient_id,
    type: 'dose_due', source: 'demo', occurredAt: now, attributes: { medication_id: r.id }, payload: null,
  }));
  await (await deps.publisher()).publish('patient.signals', signals.map((s) => ({ key: s.patientId, value: s })));
  return signals.length;
}

/** Both, with their own clients, for `careloop up`. */
export async function prepareDemo(cfg: Config, phase: 'programmes' | 'reminders'): Promise<string> {
  const deps = new Dependencies(cfg, createLogger({ level: 'warn' }));
  try {
    if (phase === 'programmes') return `published for the demo: ${(await publishDemoProgrammes(deps)).join(', ')}`;
    return `demo reminders armed for ${await armDemoReminders(deps, Date.now())} patients (a dose_due signal each)`;
  } finally {
    await deps.close();
  }
}
