import type { Keyring } from '../crypto/keyring.js';
import { parseOrgKeyId } from '../crypto/keyring.js';
import { open, seal } from '../crypto/envelope.js';
import { CareloopError } from '../errors.js';
import type { PgPool } from '../storage/postgres.js';

/*
 * The clinical text of a care-plan row (patient_medications: the medication's name, its dose, the
 * prescription's instructions) is sealed at rest with the organisation's data key (migration
 * 0060_care_plan_sealed): `key_id` names the key, `sealed` holds nonce || ciphertext+tag of the JSON
 * below, bound to organisation, patient and row id. The plain `name`, `dose` and `instructions`
 * columns stay empty ('') for sealed rows; only rows written before 0060 and not yet sealed by
 * sealCarePlanBacklog still hold them, and readers take them as they are.
 */

export interface CarePlanText {
  name: string;
  dose: string;
  instructions: string;
}

export interface SealedCarePlanText {
  keyId: string;
  sealed: Buffer;
}

/** What a reader selects of a patient_medications row to get its text back. */
export interface CarePlanTextCells {
  id: string;
  patient_id: string;
  organization_id: string;
  key_id: string | null;
  sealed: Buffer | null;
  name: string;
  dose: string;
  instructions: string;
}

/** The SQL select list of CarePlanTextCells, for a table aliased `alias`. */
export function carePlanTextColumns(alias = ''): string {
  const a = alias === '' ? '' : `${alias}.`;
  return ['id', 'patient_id', 'organization_id', 'key_id', 'sealed', 'name', 'dose', 'instructions'].map((c) => `${a}${c}`).join(', ');
}

export function carePlanAad(organizationId: string, patientId: string, medicationId: string): string {
  return `careloop:care-plan:${organizationId}:${patientId}:${medicationId}`;
}

/** Seals with a key already fetched (keyring.activeKey): a batch seals many rows with one look-up. */
export function sealCarePlanTextWith(key: { keyId: string; key: Buffer }, organizationId: string, patientId: string, medicationId: string, text: CarePlanText): SealedCarePlanText {
  const json = JSON.stringify({ name: text.name, dose: text.dose, instructions: text.instructions });
  return { keyId: key.keyId, sealed: pack(seal(key.key, key.keyId, json, carePlanAad(organizationId, patientId, medicationId))) };
}

function pack(s: { nonce: Buffer; ciphertext: Buffer }): Buffer {
  return Buffer.concat([s.nonce, s.ciphertext]);
}

export async function sealCarePlanText(keyring: Pick<Keyring, 'activeKey'>, organizationId: string, patientId: string, medicationId: string, text: CarePlanText): Promise<SealedCarePlanText> {
  return sealCarePlanTextWith(await keyring.activeKey(organizationId), organizationId, patientId, medicationId, text);
}

/** The text of one row: opened when sealed, else the legacy plain columns. */
export async function openCarePlanText(keyring: Pick<Keyring, 'keyById'> | null, row: CarePlanTextCells): Promise<CarePlanText> {
  if (row.sealed === null || row.key_id === null) return { name: row.name, dose: row.dose, instructions: row.instructions };
  if (keyring === null) throw new CareloopError('INTERNAL', 'a sealed care-plan row was read without a keyring');
  if (parseOrgKeyId(row.key_id).organizationId !== row.organization_id) throw new CareloopError('RECORD_INVALID', 'care-plan text sealed under another organisation\'s key');
  const key = await keyring.keyById(row.key_id);
  const json = open(key, { keyId: row.key_id, nonce: row.sealed.subarray(0, 12), ciphertext: row.sealed.subarray(12) }, carePlanAad(row.organization_id, row.patient_id, row.id)).toString('utf8');
  const v = JSON.parse(json) as Partial<CarePlanText>;
  return { name: v.name ?? '', dose: v.dose ?? '', instructions: v.instructions ?? '' };
}

export async function openCarePlanTexts(keyring: Pick<Keyring, 'keyById'> | null, rows: readonly CarePlanTextCells[]): Promise<CarePlanText[]> {
  return Promise.all(rows.map((r) => openCarePlanText(keyring, r)));
}

/** "Metformin 500 mg": how replies and the pharmacy name a medication. */
export function medicationLabel(t: CarePlanText): string {
  return t.dose === '' ? t.name : `${t.name} ${t.dose}`;
}

/**
 * Seals the rows still holding plaintext (written before migration 0060 or by an older writer),
 * organisation by organisation in batches, each row swapped with a compare-and-set so a concurrent
 * writer is never overwritten. An organisation whose data key this process cannot unwrap (another
 * master key) is left as it is and named in `failed`. organizationIds limits the run.
 */
export async function sealCarePlanBacklog(pool: PgPool, keyring: Pick<Keyring, 'activeKey'>, opts: { organizationIds?: readonly string[]; batchSize?: number } = {}): Promise<{ sealed: number; failed: string[] }> {
  const scope = opts.organizationIds === undefined ? null : [...opts.organizationIds];
  const { rows: orgs } = await pool.query<{ organization_id: string }>(
    'SELECT DISTINCT organization_id FROM patient_medications WHERE sealed IS NULL AND ($1::text[] IS NULL OR organization_id = ANY($1)) ORDER BY organization_id', [scope]);
  let sealed = 0;
  const failed: string[] = [];
  for (const { organization_id: org } of orgs) {
    let key: { keyId: string; key: Buffer };
    try { key = await keyring.activeKey(org); } catch { failed.push(org); continue; }
    for (let after = ''; ;) {
      const { rows } = await pool.query<CarePlanTextCells>(
        `SELECT ${carePlanTextColumns()} FROM patient_medications WHERE sealed IS NULL AND organization_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [org, after, opts.batchSize ?? 500]);
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      after = last.id;
      const cells = rows.map((r) => ({ r, s: sealCarePlanTextWith(key, org, r.patient_id, r.id, r) }));
      const res = await pool.query(
        `UPDATE patient_medications m SET key_id = u.k, sealed = u.s, name = '', dose = '', instructions = ''
           FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::text[]) AS u(i, k, s, n, d, t)
          WHERE m.id = u.i AND m.sealed IS NULL AND m.name = u.n AND m.dose = u.d AND m.instructions = u.t`,
        [cells.map((c) => c.r.id), cells.map((c) => c.s.keyId), cells.map((c) => c.s.sealed), cells.map((c) => c.r.name), cells.map((c) => c.r.dose), cells.map((c) => c.r.instructions)]);
      sealed += res.rowCount ?? 0;
    }
  }
  return { sealed, failed };
}
