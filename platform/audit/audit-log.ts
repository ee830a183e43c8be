import type { PgPool } from '../storage/postgres.js';
import { CareloopError } from '../errors.js';
import { canonicalContent, GENESIS_HASH } from './chain.js';
import { validateAuditEvent, type AuditEventInput, type AuditSink, type AuditTransaction } from './types.js';

export interface AuditReceipt {
  id: string;
  seq: number;
}

/*
 * One statement appends: it advances the organisation's chain head (the row lock serialises
 * concurrent appenders of that organisation only) and inserts the event with the hash the head now
 * holds, so a row and its head commit together or not at all.
 */
const APPEND = `
WITH head AS (
  UPDATE audit.chain_heads
     SET last_seq = last_seq + 1, prev_hash = last_hash,
         last_hash = sha256(last_hash || int8send(last_seq + 1) || $2::bytea)
   WHERE organization_id = $1
  RETURNING last_seq, prev_hash, last_hash)
INSERT INTO audit.events (organization_id, seq, at, actor_kind, actor_id, actor_ip, actor_service, action,
                          patient_id, purpose, outcome, reason, fields, result_count, prev_hash, row_hash)
SELECT $1, head.last_seq, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, head.prev_hash, head.last_hash FROM head
RETURNING id, seq`;

/** The append-only, hash-chained PHI access log (one chain per organisation). */
export class AuditLog implements AuditSink {
  constructor(private readonly pool: PgPool, private readonly now: () => Date = () => new Date()) {}

  async record(event: AuditEventInput, within?: AuditTransaction): Promise<AuditReceipt> {
    const db = within ?? this.pool;
    validateAuditEvent(event);
    // Millisecond precision: timestamptz stores it exactly, so the verifier rebuilds the same ISO string.
    const at = new Date(this.now().getTime());
    const params = [
      event.organizationId, canonicalContent(event, at), at, event.actor.kind, event.actor.id, event.actor.ip ?? null,
      event.actor.service ?? null, event.action, event.patientId, event.purpose, event.outcome, event.reason ?? null,
      [...(event.fields ?? [])], event.resultCount ?? null,
    ];
    for (let attempt = 0; attempt < 2; attempt++) {
      const { rows } = await db.query(APPEND, params);
      const row = rows[0] as { id: string; seq: string } | undefined;
      if (row !== undefined) return { id: row.id, seq: Number(row.seq) };
      await this.startChain(db, event.organizationId);
    }
    throw new CareloopError('INTERNAL', 'audit chain head could not be created');
  }

  /**
   * Appends many events of one organisation in one round trip (audit.append_many loops the same
   * chain step server-side): a batch import audits each identity write without a query per event.
   */
  async recordMany(organizationId: string, events: readonly AuditEventInput[], within?: AuditTransaction): Promise<number> {
    if (events.length === 0) return 0;
    const db = within ?? this.pool;
    const at = new Date(this.now().getTime());
    for (const e of events) {
      validateAuditEvent(e);
      if (e.organizationId !== organizationId) throw new CareloopError('INTERNAL', 'recordMany takes events of one organisation');
    }
    const col = <T>(f: (e: AuditEventInput) => T): T[] => events.map(f);
    await db.query(
      'SELECT audit.append_many($1, $2::bytea[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::integer[])',
      [organizationId, col((e) => canonicalContent(e, at)), col(() => at), col((e) => e.actor.kind), col((e) => e.actor.id), col((e) => e.actor.ip ?? null),
        col((e) => e.actor.service ?? null), col((e) => e.action), col((e) => e.patientId), col((e) => e.purpose), col((e) => e.outcome),
        col((e) => e.reason ?? null), col((e) => [...(e.fields ?? [])].join(',')), col((e) => e.resultCount ?? null)]);
    return events.length;
  }

  private async startChain(db: AuditTransaction, organizationId: string): Promise<void> {
    await db.query(
      'INSERT INTO audit.chain_heads (organization_id, last_seq, prev_hash, last_hash) VALUES ($1, 0, $2, $2) ON CONFLICT DO NOTHING',
      [organizationId, GENESIS_HASH]);
  }
}
