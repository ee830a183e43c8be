import type pg from 'pg';
import type { AdherenceRow } from './derived.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { openCarePlanText, type SealedCarePlanText } from '../../platform/stores/care-plan-text.js';
import type { Projection, CarePlanMedication } from './project.js';

/* Every statement on the care schema the importer and the read API use; all scoped by organisation. */

export interface ExistingResource {
  id: string;
  type: string;
  contentDigest: Buffer;
  status: string | null;
  /** The digest of the sender's "Type/id" it was imported from (null: imported without an id, or not from FHIR). */
  sourceDigest?: Buffer | null;
}

export interface StoredResource {
  type: string;
  id: string;
  sourceDigest: Buffer | null;
  contentDigest: Buffer;
  patientId: string | null;
  keyId: string;
  sealed: Buffer;
}

const hex = (b: Buffer): string => b.toString('hex');

/** Resources already imported, by the digest of the sender's "Type/id". */
export async function bySourceDigest(q: pg.ClientBase, org: string, digests: readonly Buffer[]): Promise<Map<string, ExistingResource>> {
  const out = new Map<string, ExistingResource>();
  if (digests.length === 0) return out;
  const { rows } = await q.query<{ source_digest: Buffer; id: string; resource_type: string; content_digest: Buffer; status: string | null }>(
    `SELECT r.source_digest, r.id, r.resource_type, r.content_digest, m.status
       FROM care.resources r LEFT JOIN care.medication_requests m ON r.resource_type = 'MedicationRequest' AND m.organization_id = r.organization_id AND m.id = r.id
      WHERE r.organization_id = $1 AND r.source_digest = ANY($2::bytea[])`, [org, [...digests]]);
  for (const r of rows) out.set(hex(r.source_digest), { id: r.id, type: r.resource_type, contentDigest: r.content_digest, status: r.status });
  return out;
}

/** Resources already imported, by identifier digest (non-patient types). */
export async function byIdentifierDigest(q: pg.ClientBase, org: string, digests: readonly Buffer[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (digests.length === 0) return out;
  const { rows } = await q.query<{ digest: Buffer; resource_id: string }>(
    'SELECT digest, resource_id FROM care.resource_identifiers WHERE organization_id = $1 AND digest = ANY($2::bytea[])', [org, [...digests]]);
  for (const r of rows) out.set(hex(r.digest), r.resource_id);
  return out;
}

/** Content digests and statuses of resources by our id. */
export async function byIds(q: pg.ClientBase, org: string, ids: readonly string[]): Promise<Map<string, ExistingResource>> {
  const out = new Map<string, ExistingResource>();
  if (ids.length === 0) return out;
  const { rows } = await q.query<{ id: string; resource_type: string; content_digest: Buffer; status: string | null; source_digest: Buffer | null }>(
    `SELECT r.id, r.resource_type, r.content_digest, m.status, r.source_digest FROM care.resources r
       LEFT JOIN care.medication_requests m ON r.resource_type = 'MedicationRequest' AND m.organization_id = r.organization_id AND m.id = r.id
      WHERE r.organization_id = $1 AND r.id = ANY($2::text[])`, [org, [...ids]]);
  for (const r of rows) out.set(r.id, { id: r.id, type: r.resource_type, contentDigest: r.content_digest, status: r.status, sourceDigest: r.source_digest });
  return out;
}

export async function upsertResources(q: pg.ClientBase, org: string, rs: readonly StoredResource[]): Promise<void> {
  if (rs.length === 0) return;
  await q.query(
    `INSERT INTO care.resources (organization_id, resource_type, id, source_digest, content_digest, patient_id, key_id, sealed)
     SELECT $1, t, i, s, c, p, k, x FROM unnest($2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::text[], $7::text[], $8::bytea[]) AS u(t, i, s, c, p, k, x)
     ON CONFLICT (organization_id, resource_type, id) DO UPDATE SET content_digest = EXCLUDED.content_digest, source_digest = coalesce(EXCLUDED.source_digest, care.resources.source_digest),
       patient_id = EXCLUDED.patient_id, key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed, version = care.resources.version + 1, updated_at = now()`,
    [org, rs.map((r) => r.type), rs.map((r) => r.id), rs.map((r) => r.sourceDigest), rs.map((r) => r.contentDigest), rs.map((r) => r.patientId), rs.map((r) => r.keyId), rs.map((r) => r.sealed)]);
}

export async function upsertIdentifiers(q: pg.ClientBase, org: string, all: ReadonlyArray<{ type: string; digest: Buffer; id: string }>): Promise<void> {
  if (all.length === 0) return;
  // Two resources of a unit may share an identifier; one statement may not upsert a key twice (the last one wins).
  const ids = [...new Map(all.map((i) => [`${i.type}|${hex(i.digest)}`, i])).values()];
  await q.query(
    `INSERT INTO care.resource_identifiers (organization_id, resource_type, digest, resource_id)
     SELECT $1, t, d, i FROM unnest($2::text[], $3::bytea[], $4::text[]) AS u(t, d, i)
     ON CONFLICT (organization_id, resource_type, digest) DO UPDATE SET resource_id = EXCLUDED.resource_id`,
    [org, ids.map((i) => i.type), ids.map((i) => i.digest), ids.map((i) => i.id)]);
}

const TABLES = new Set(['organizations', 'locations', 'practitioners', 'practitioner_roles', 'healthcare_services', 'schedules', 'slots',
  'related_persons', 'consents', 'medication_requests', 'medication_dispenses', 'appointments']);

/** Upserts typed rows, one statement per table, through json_populate_recordset (columns by name). */
export async function upsertProjections(q: pg.ClientBase, org: string, ps: readonly Projection[]): Promise<void> {
  const byTable = new Map<string, Array<Record<string, unknown>>>();
  for (const p of ps) {
    if (!TABLES.has(p.table)) throw new Error(`unknown care table ${p.table}`);
    const list = byTable.get(p.table) ?? [];
    list.push({ ...p.row, organization_id: org });
    byTable.set(p.table, list);
  }
  for (const [table, rows] of byTable) {
    const cols = Object.keys(rows[0] ?? {});
    const updates = cols.filter((c) => c !== 'id' && c !== 'organization_id').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
    await q.query(
      `INSERT INTO care.${table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM json_populate_recordset(NULL::care.${table}, $1::json)
       ON CONFLICT (organization_id, id) DO UPDATE SET ${updates}`, [JSON.stringify(rows)]);
  }
}

export async function insertPatients(q: pg.ClientBase, org: string, ps: ReadonlyArray<{ id: string; language: string; existing: boolean }>): Promise<void> {
  if (ps.length === 0) return;
  await q.query(
    `INSERT INTO patients (id, organization_id, preferred_language) SELECT i, $1, l FROM unnest($2::text[], $3::text[]) AS u(i, l)
     ON CONFLICT (id) DO UPDATE SET preferred_language = EXCLUDED.preferred_language, updated_at = now() WHERE patients.organization_id = $1`,
    [org, ps.map((p) => p.id), ps.map((p) => p.language)]);
}

/** The hot-path care plan: one patient_medications row per imported prescription (id = ours), its text sealed (platform/stores/care-plan-text.ts). */
export async function upsertCarePlan(q: pg.ClientBase, org: string, ms: ReadonlyArray<CarePlanMedication & SealedCarePlanText>): Promise<void> {
  if (ms.length === 0) return;
  await q.query(
    `INSERT INTO patient_medications (id, patient_id, organization_id, name, dose, instructions, key_id, sealed, schedule_times, active, source)
     SELECT i, p, $1, '', '', '', k, x, ARRAY(SELECT json_array_elements_text(t::json)), a, 'fhir'
       FROM unnest($2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::boolean[]) AS u(i, p, k, x, t, a)
     ON CONFLICT (id) DO UPDATE SET name = '', dose = '', instructions = '', key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed,
       schedule_times = EXCLUDED.schedule_times, active = EXCLUDED.active`,
    [org, ms.map((m) => m.id), ms.map((m) => m.patientId), ms.map((m) => m.keyId), ms.map((m) => m.sealed), ms.map((m) => JSON.stringify(m.times)), ms.map((m) => m.active)]);
}

/** Sealed resources of one organisation, by type, in id order (export, read). */
export async function sealedResources(q: pg.ClientBase | pg.Pool, org: string, type: string, opts: { ids?: readonly string[]; patientId?: string; after?: string; limit: number }): Promise<Array<{ id: string; keyId: string; sealed: Buffer; patientId: string | null }>> {
  const { rows } = await q.query<{ id: string; key_id: string; sealed: Buffer; patient_id: string | null }>(
    `SELECT id, key_id, sealed, patient_id FROM care.resources
      WHERE organization_id = $1 AND resource_type = $2 AND ($3::text[] IS NULL OR id = ANY($3)) AND ($4::text IS NULL OR patient_id = $4) AND id > $5
      ORDER BY id LIMIT $6`, [org, type, opts.ids === undefined ? null : [...opts.ids], opts.patientId ?? null, opts.after ?? '', opts.limit]);
  return rows.map((r) => ({ id: r.id, keyId: r.key_id, sealed: r.sealed, patientId: r.patient_id }));
}

/** Recorded adherence of one organisation (one patient, or all in id order for an export page). */
export async function adherenceRows(q: pg.ClientBase | pg.Pool, keyring: Pick<Keyring, 'keyById'>, org: string, opts: { patientId?: string; after?: string; limit: number }): Promise<AdherenceRow[]> {
  const { rows } = await q.query<{ id: string; patient_id: string; medication_id: string | null; name: string | null; dose: string | null; instructions: string | null; key_id: string | null; sealed: Buffer | null; from_request: boolean; taken: boolean; occurred_at: Date }>(
    `SELECT a.id, a.patient_id, a.medication_id, m.name, m.dose, m.instructions, m.key_id, m.sealed, r.id IS NOT NULL AS from_request, a.taken, a.occurred_at
       FROM adherence_events a
       LEFT JOIN patient_medications m ON m.id = a.medication_id AND m.organization_id = a.organization_id
       LEFT JOIN care.resources r ON r.organization_id = a.organization_id AND r.resource_type = 'MedicationRequest' AND r.id = a.medication_id
      WHERE a.organization_id = $1 AND ($2::text IS NULL OR a.patient_id = $2) AND a.id > $3
      ORDER BY a.id LIMIT $4`, [org, opts.patientId ?? null, opts.after ?? '', opts.limit]);
  return Promise.all(rows.map(async (r) => ({
    id: r.id, patientId: r.patient_id, medicationId: r.medication_id, fromRequest: r.from_request, taken: r.taken, occurredAt: r.occurred_at,
    medicationName: r.medication_id === null || r.name === null ? null
      : (await openCarePlanText(keyring, { id: r.medication_id, patient_id: r.patient_id, organization_id: org, key_id: r.key_id, sealed: r.sealed, name: r.name, dose: r.dose ?? '', instructions: r.instructions ?? '' })).name,
  })));
}

/** Patient ids of one organisation in id order (an export walks conversations patient by patient). */
export async function patientIds(q: pg.ClientBase | pg.Pool, org: string, after: string, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>('SELECT id FROM patients WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3', [org, after, limit]);
  return rows.map((r) => r.id);
}

/** Resources of one organisation per type (the export's progress denominator). */
export async function countByType(q: pg.ClientBase | pg.Pool, org: string): Promise<Map<string, number>> {
  const { rows } = await q.query<{ resource_type: string; n: string }>('SELECT resource_type, count(*) AS n FROM care.resources WHERE organization_id = $1 GROUP BY resource_type', [org]);
  return new Map(rows.map((r) => [r.resource_type, Number(r.n)]));
}
