import type { PgPool } from '../storage/postgres.js';
import { chainHash, canonicalContent, GENESIS_HASH } from './chain.js';
import type { ActorKind, AuditOutcome, AuditRow, Purpose } from './types.js';

export type ChainBreak = 'seq_gap' | 'link_broken' | 'hash_mismatch' | 'head_mismatch';

export interface VerifyResult {
  ok: boolean;
  /** Rows checked (across every chain verified). */
  rows: number;
  /** audit.events id of the first row that does not verify. */
  firstBrokenId?: string;
  organizationId?: string;
  reason?: ChainBreak;
  /** For head_mismatch (rows missing at the tail): the last row that did verify. */
  lastVerifiedId?: string;
}

export interface VerifyOptions {
  /** One organisation's chain; every chain when omitted. */
  organizationId?: string;
  batchSize?: number;
}

interface EventRecord {
  id: string; organization_id: string; seq: string; at: Date; actor_kind: string; actor_id: string; actor_ip: string | null;
  actor_service: string | null; action: string; patient_id: string | null; purpose: string; outcome: string;
  reason: string | null; fields: string[]; result_count: number | null; prev_hash: Buffer; row_hash: Buffer;
}

function toRow(r: EventRecord): AuditRow {
  return {
    id: r.id, seq: Number(r.seq), at: r.at, organizationId: r.organization_id,
    actor: { kind: r.actor_kind as ActorKind, id: r.actor_id, ...(r.actor_ip === null ? {} : { ip: r.actor_ip }), ...(r.actor_service === null ? {} : { service: r.actor_service }) },
    action: r.action, patientId: r.patient_id, purpose: r.purpose as Purpose, outcome: r.outcome as AuditOutcome,
    ...(r.reason === null ? {} : { reason: r.reason }), fields: r.fields, ...(r.result_count === null ? {} : { resultCount: r.result_count }),
    prevHash: r.prev_hash, rowHash: r.row_hash,
  };
}

/** Why a row breaks the chain after `prev` (undefined for the first row), or undefined when it holds. */
export function checkRow(row: AuditRow, prev: { seq: number; hash: Buffer }): ChainBreak | undefined {
  if (row.seq !== prev.seq + 1) return 'seq_gap';
  if (!row.prevHash.equals(prev.hash)) return 'link_broken';
  if (!chainHash(row.prevHash, row.seq, canonicalContent(row, row.at)).equals(row.rowHash)) return 'hash_mismatch';
  return undefined;
}

/**
 * Recomputes every hash of one organisation's chain up to the head as it stood when verification
 * began (appends made meanwhile are left for the next run), then checks the head matches the tail.
 */
async function verifyChain(pool: PgPool, organizationId: string, batchSize: number): Promise<VerifyResult> {
  const head = (await pool.query<{ last_seq: string; last_hash: Buffer }>(
    'SELECT last_seq, last_hash FROM audit.chain_heads WHERE organization_id = $1', [organizationId])).rows[0];
  if (head === undefined) return { ok: true, rows: 0 };
  let prev: { seq: number; hash: Buffer; id: string } = { seq: 0, hash: GENESIS_HASH, id: '' };
  let count = 0;
  for (;;) {
    const { rows } = await pool.query<EventRecord>(
      'SELECT * FROM audit.events WHERE organization_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4',
      [organizationId, prev.seq, head.last_seq, batchSize]);
    for (const record of rows) {
      const row = toRow(record);
      const reason = checkRow(row, prev);
      if (reason !== undefined) return { ok: false, rows: count, firstBrokenId: row.id, organizationId, reason };
      prev = { seq: row.seq, hash: row.rowHash, id: row.id };
      count++;
    }
    if (rows.length < batchSize) break;
  }
  if (prev.seq !== Number(head.last_seq) || !prev.hash.equals(head.last_hash)) {
    return { ok: false, rows: count, organizationId, reason: 'head_mismatch', ...(prev.id === '' ? {} : { lastVerifiedId: prev.id }) };
  }
  return { ok: true, rows: count };
}

/** Verifies one organisation's audit chain, or all of them; stops at the first broken row. */
export async function verifyAuditChain(pool: PgPool, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const batchSize = opts.batchSize ?? 1000;
  const orgs = opts.organizationId !== undefined ? [opts.organizationId]
    : (await pool.query<{ organization_id: string }>('SELECT organization_id FROM audit.chain_heads ORDER BY organization_id')).rows.map((r) => r.organization_id);
  let rows = 0;
  for (const org of orgs) {
    const r = await verifyChain(pool, org, batchSize);
    rows += r.rows;
    if (!r.ok) return { ...r, rows };
  }
  return { ok: true, rows };
}
