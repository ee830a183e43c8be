import type { AuditAnchor } from '../../schemas/generated/avro-types.js';
import type { SchemaCatalogue } from '../avro/catalogue.js';
import { readTopicToEnd, type BrokerAccess } from '../kafka/admin.js';
import type { PgPool } from '../storage/postgres.js';

/*
 * The hash chain shows a changed or removed row, but someone with owner rights on the database could
 * rewrite a whole chain from some row on (or cut its tail) and recompute every later hash. Anchors
 * copy each chain's head out of PostgreSQL (to the compacted `audit.anchors` topic, which the database
 * owner does not control); verification then checks the chain still holds the anchored row.
 */

/** Every organisation's chain head as committed now. */
export async function chainHeads(pool: PgPool, now: number): Promise<AuditAnchor[]> {
  const { rows } = await pool.query<{ organization_id: string; last_seq: string; last_hash: Buffer }>(
    'SELECT organization_id, last_seq, last_hash FROM audit.chain_heads WHERE last_seq > 0 ORDER BY organization_id');
  return rows.map((r) => ({ organizationId: r.organization_id, seq: Number(r.last_seq), rowHash: r.last_hash, anchoredAt: now }));
}

/**
 * Remembers what it anchored last, so each round sends only the chains that moved. A restart sends
 * every head once more, which the compacted topic absorbs.
 */
export class AnchorTracker {
  private readonly sent = new Map<string, number>();

  /** Heads that moved since they were last sent. */
  changed(heads: readonly AuditAnchor[]): AuditAnchor[] {
    return heads.filter((h) => this.sent.get(h.organizationId) !== h.seq);
  }

  markSent(heads: readonly AuditAnchor[]): void {
    for (const h of heads) this.sent.set(h.organizationId, h.seq);
  }
}

/** The newest anchor of each organisation (the highest seq; a compacted topic may still hold older ones). */
export function latestAnchors(anchors: readonly AuditAnchor[]): Map<string, AuditAnchor> {
  const latest = new Map<string, AuditAnchor>();
  for (const a of anchors) {
    const have = latest.get(a.organizationId);
    if (have === undefined || a.seq > have.seq) latest.set(a.organizationId, a);
  }
  return latest;
}

/** Reads the whole anchors topic (small: compacted to one record per organisation) and keeps the newest of each. */
export async function readAnchors(access: BrokerAccess, physicalTopic: string, catalogue: SchemaCatalogue): Promise<Map<string, AuditAnchor>> {
  const records = await readTopicToEnd(access, physicalTopic);
  const anchors: AuditAnchor[] = [];
  for (const r of records) if (r.value !== null) anchors.push(await catalogue.decode<AuditAnchor>(r.value));
  return latestAnchors(anchors);
}

export type AnchorBreak = 'anchored_row_missing' | 'anchored_row_changed';

export interface AnchorResult {
  ok: boolean;
  /** Organisations whose anchor was checked. */
  checked: number;
  organizationId?: string;
  seq?: number;
  reason?: AnchorBreak;
}

/**
 * Checks that each anchored row is still in its chain with the hash it had when anchored. Together
 * with the chain walk (every later row links to it) this shows nothing up to the anchor was rewritten.
 */
export async function checkAnchors(pool: PgPool, anchors: ReadonlyMap<string, AuditAnchor>, organizationId?: string): Promise<AnchorResult> {
  let checked = 0;
  for (const anchor of [...anchors.values()].sort((a, b) => a.organizationId.localeCompare(b.organizationId))) {
    if (organizationId !== undefined && anchor.organizationId !== organizationId) continue;
    const { rows } = await pool.query<{ row_hash: Buffer }>(
      'SELECT row_hash FROM audit.events WHERE organization_id = $1 AND seq = $2', [anchor.organizationId, anchor.seq]);
    const row = rows[0];
    const at = { organizationId: anchor.organizationId, seq: anchor.seq };
    if (row === undefined) return { ok: false, checked, ...at, reason: 'anchored_row_missing' };
    if (!row.row_hash.equals(anchor.rowHash)) return { ok: false, checked, ...at, reason: 'anchored_row_changed' };
    checked++;
  }
  return { ok: true, checked };
}
