import type pg from 'pg';
import { withTransaction, type PgPool } from '../storage/postgres.js';

import { FIELD_COLUMNS, IDENTITY_FIELDS, type BlindIndexKind, type IdentityField } from './types.js';

/** Re-exported for the vault's modules: every vault write runs in one transaction. */
export { withTransaction };

/*
 * Every statement on the vault tables. All of them take the pool or a client as a parameter (the vault
 * is a separate database in production) and every one is scoped by organization_id.
 */

export type Queryable = PgPool | pg.PoolClient;
export type Cells = Partial<Record<IdentityField, Buffer>>;

export interface IndexEntry {
  kind: BlindIndexKind;
  digest: Buffer;
}

export interface StoredPatient {
  cells: Cells;
  wrappedKey: Buffer;
  wrappingKeyId: string;
}

const COLUMNS = IDENTITY_FIELDS.map((f) => FIELD_COLUMNS[f]);

function cellValues(cells: Cells): Array<Buffer | null> {
  return IDENTITY_FIELDS.map((f) => cells[f] ?? null);
}

export async function insertPatient(
  client: pg.PoolClient, organizationId: string, patientId: string, cells: Cells, key: { wrapped: Buffer; keyId: string },
): Promise<void> {
  const placeholders = COLUMNS.map((_, i) => `$${i + 3}`).join(', ');
  await client.query(
    `INSERT INTO vault.patients (patient_id, organization_id, ${COLUMNS.join(', ')}) VALUES ($1, $2, ${placeholders})`,
    [patientId, organizationId, ...cellValues(cells)]);
  await client.query(
    'INSERT INTO vault.patient_keys (patient_id, organization_id, wrapped_key, wrapping_key_id) VALUES ($1, $2, $3, $4)',
    [patientId, organizationId, key.wrapped, key.keyId]);
}

/** An active patient of this organisation with its wrapped key; undefined for unknown, erased or foreign. */
export async function loadPatient(q: Queryable, organizationId: string, patientId: string, forUpdate = false): Promise<StoredPatient | undefined> {
  const { rows } = await q.query<Record<string, Buffer | null> & { wrapped_key: Buffer; wrapping_key_id: string }>(
    `SELECT ${COLUMNS.map((c) => `p.${c}`).join(', ')}, k.wrapped_key, k.wrapping_key_id
       FROM vault.patients p JOIN vault.patient_keys k ON k.patient_id = p.patient_id AND k.organization_id = p.organization_id
      WHERE p.patient_id = $1 AND p.organization_id = $2 AND p.status = 'active'${forUpdate ? ' FOR UPDATE OF p' : ''}`,
    [patientId, organizationId]);
  const row = rows[0];
  if (row === undefined) return undefined;
  const cells: Cells = {};
  for (const f of IDENTITY_FIELDS) {
    const v = row[FIELD_COLUMNS[f]];
    if (v !== null && v !== undefined) cells[f] = v;
  }
  return { cells, wrappedKey: row.wrapped_key, wrappingKeyId: row.wrapping_key_id };
}

export async function updateCells(client: pg.PoolClient, organizationId: string, patientId: string, cells: Cells): Promise<void> {
  const sets = COLUMNS.map((c, i) => `${c} = $${i + 3}`).join(', ');
  await client.query(
    `UPDATE vault.patients SET ${sets}, updated_at = now() WHERE patient_id = $1 AND organization_id = $2`,
    [patientId, organizationId, ...cellValues(cells)]);
}

export async function replaceIndexes(client: pg.PoolClient, organizationId: string, patientId: string, entries: readonly IndexEntry[]): Promise<void> {
  await client.query('DELETE FROM vault.blind_indexes WHERE patient_id = $1 AND organization_id = $2', [patientId, organizationId]);
  if (entries.length === 0) return;
  await client.query(
    `INSERT INTO vault.blind_indexes (organization_id, kind, digest, patient_id)
     SELECT $1, kind, digest, $2 FROM unnest($3::text[], $4::bytea[]) AS e(kind, digest) ON CONFLICT DO NOTHING`,
    [organizationId, patientId, entries.map((e) => e.kind), entries.map((e) => e.digest)]);
}

/** Patients of this organisation whose blind index of this kind equals digest (any of digests). */
export async function findByDigest(q: Queryable, organizationId: string, kind: BlindIndexKind, digests: readonly Buffer[]): Promise<string[]> {
  const { rows } = await q.query<{ patient_id: string }>(
    `SELECT DISTINCT b.patient_id FROM vault.blind_indexes b JOIN vault.patients p ON p.patient_id = b.patient_id
      WHERE b.organization_id = $1 AND b.kind = $2 AND b.digest = ANY($3::bytea[]) AND p.organization_id = $1 AND p.status = 'active'
      ORDER BY b.patient_id`,
    [organizationId, kind, [...digests]]);
  return rows.map((r) => r.patient_id);
}

/**
 * Crypto-shreds a patient: the wrapped key, the blind indexes and pending verification codes go;
 * the ciphertext stays (as it would in any backup) but nothing can open it any more.
 */
export async function erase(client: pg.PoolClient, organizationId: string, patientId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    "UPDATE vault.patients SET status = 'erased', erased_at = now(), updated_at = now() WHERE patient_id = $1 AND organization_id = $2 AND status = 'active'",
    [patientId, organizationId]);
  if (rowCount !== 1) return false;
  await client.query('DELETE FROM vault.patient_keys WHERE patient_id = $1 AND organization_id = $2', [patientId, organizationId]);
  await client.query('DELETE FROM vault.blind_indexes WHERE patient_id = $1 AND organization_id = $2', [patientId, organizationId]);
  await client.query('DELETE FROM vault.verification_codes WHERE patient_id = $1 AND organization_id = $2', [patientId, organizationId]);
  return true;
}

export interface WrappedKeyRow {
  /** The patient id, or '' for the organisation's index key. */
  owner: string;
  wrappedKey: Buffer;
  wrappingKeyId: string;
}

/** Patient keys of the organisation not yet wrapped by `keyId`, after `afterPatientId`, in id order. */
export async function keysNotWrappedBy(q: Queryable, organizationId: string, keyId: string, afterPatientId: string, limit: number): Promise<WrappedKeyRow[]> {
  const { rows } = await q.query<{ patient_id: string; wrapped_key: Buffer; wrapping_key_id: string }>(
    `SELECT patient_id, wrapped_key, wrapping_key_id FROM vault.patient_keys
      WHERE organization_id = $1 AND wrapping_key_id <> $2 AND patient_id > $3 ORDER BY patient_id LIMIT $4`,
    [organizationId, keyId, afterPatientId, limit]);
  return rows.map((r) => ({ owner: r.patient_id, wrappedKey: r.wrapped_key, wrappingKeyId: r.wrapping_key_id }));
}

/** The organisation's index key row when it is not yet wrapped by `keyId`. */
export async function indexKeyNotWrappedBy(q: Queryable, organizationId: string, keyId: string): Promise<WrappedKeyRow | undefined> {
  const { rows } = await q.query<{ wrapped_key: Buffer; wrapping_key_id: string }>(
    'SELECT wrapped_key, wrapping_key_id FROM vault.organization_index_keys WHERE organization_id = $1 AND wrapping_key_id <> $2', [organizationId, keyId]);
  const r = rows[0];
  return r === undefined ? undefined : { owner: '', wrappedKey: r.wrapped_key, wrappingKeyId: r.wrapping_key_id };
}

/** Swaps a wrapped key only if it is still wrapped as read (compare-and-set): safe beside other writers. */
export async function replaceWrappedKey(q: Queryable, organizationId: string, row: WrappedKeyRow, wrapped: Buffer, keyId: string): Promise<boolean> {
  const { rowCount } = row.owner === ''
    ? await q.query('UPDATE vault.organization_index_keys SET wrapped_key = $1, wrapping_key_id = $2 WHERE organization_id = $3 AND wrapping_key_id = $4',
      [wrapped, keyId, organizationId, row.wrappingKeyId])
    : await q.query('UPDATE vault.patient_keys SET wrapped_key = $1, wrapping_key_id = $2 WHERE organization_id = $3 AND patient_id = $4 AND wrapping_key_id = $5',
      [wrapped, keyId, organizationId, row.owner, row.wrappingKeyId]);
  return rowCount === 1;
}

/** Patient keys and the index key of the organisation still wrapped by one of `keyIds`. */
export async function countKeysWrappedBy(q: Queryable, organizationId: string, keyIds: readonly string[]): Promise<number> {
  const { rows } = await q.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM vault.patient_keys WHERE organization_id = $1 AND wrapping_key_id = ANY($2))
          + (SELECT count(*) FROM vault.organization_index_keys WHERE organization_id = $1 AND wrapping_key_id = ANY($2)) AS n`,
    [organizationId, [...keyIds]]);
  return Number(rows[0]?.n ?? 0);
}
