import { createHash } from 'node:crypto';
import type { AuditEventInput } from './types.js';

/** The previous hash of an organisation's first row. */
export const GENESIS_HASH = Buffer.alloc(32);

const FORMAT = 1;

/**
 * The exact bytes an event's hash covers: a JSON array in a fixed order, so the appender and the
 * verifier (possibly years apart) agree byte for byte. Absent optional values are null.
 */
export function canonicalContent(e: AuditEventInput, at: Date): Buffer {
  return Buffer.from(JSON.stringify([
    FORMAT, e.organizationId, at.toISOString(), e.actor.kind, e.actor.id, e.actor.ip ?? null, e.actor.service ?? null,
    e.action, e.patientId, e.purpose, e.outcome, e.reason ?? null, [...(e.fields ?? [])], e.resultCount ?? null,
  ]), 'utf8');
}

/** sha256(prev || int8 big-endian seq || content); the SQL appender computes the same with int8send. */
export function chainHash(prevHash: Buffer, seq: number, content: Buffer): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigInt64BE(BigInt(seq));
  return createHash('sha256').update(prevHash).update(seqBytes).update(content).digest();
}
