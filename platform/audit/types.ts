import { isIP } from 'node:net';
import { CareloopError } from '../errors.js';

export const ACTOR_KINDS = ['staff', 'api_key', 'patient', 'service', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who acts, and from where. Never a patient's name or phone: staff and key ids, pseudonymous patient ids. */
export interface Actor {
  kind: ActorKind;
  id: string;
  ip?: string;
  service?: string;
}

/** Why PHI is touched (HIPAA's treatment, payment, operations, plus the patient's own requests). */
export const PURPOSES = ['treatment', 'payment', 'operations', 'patient_request', 'identity_verification', 'erasure_request', 'security'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof OUTCOMES)[number];

/**
 * One PHI access. The shape is closed on purpose: codes, names of fields and counts, never values,
 * so nothing a caller passes can put PHI into the log.
 */
export interface AuditEventInput {
  organizationId: string;
  actor: Actor;
  /** Dotted lower-case verb, e.g. "vault.identity.read". */
  action: string;
  patientId: string | null;
  purpose: Purpose;
  outcome: AuditOutcome;
  /** A stable lower-case code for a failure or denial. */
  reason?: string;
  /** Names (not values) of the fields touched. */
  fields?: readonly string[];
  /** How many records a lookup returned. */
  resultCount?: number;
}

/** A stored event, as the verifier reads it back. */
export interface AuditRow extends AuditEventInput {
  id: string;
  seq: number;
  at: Date;
  prevHash: Buffer;
  rowHash: Buffer;
}

/** A database transaction an audit event can join, so the event commits with the write it records. */
export interface AuditTransaction {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Where audit events go; the vault and the verifier depend on this, not on PostgreSQL. */
export interface AuditSink {
  /** With `within`, the event is appended inside that transaction: both commit, or neither. */
  record(event: AuditEventInput, within?: AuditTransaction): Promise<unknown>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:@|/-]{0,127}$/;
const ACTION = /^[a-z][a-z_]*(\.[a-z][a-z_]*){1,4}$/;
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
const FIELD = /^[a-zA-Z][a-zA-Z0-9]{0,31}$/;
const SERVICE = /^[a-z][a-z0-9-]{0,63}$/;

function invalid(key: string): never {
  // The message names the key, never the value: the value may be the PHI that should not be here.
  throw new CareloopError('VALIDATION_FAILED', `audit event field "${key}" is missing or malformed`, { details: { key } });
}

/** Refuses anything outside the closed shape (free text, unknown kinds, values where codes go). */
export function validateAuditEvent(e: AuditEventInput): void {
  if (!ID.test(e.organizationId)) invalid('organizationId');
  if (!(ACTOR_KINDS as readonly string[]).includes(e.actor.kind)) invalid('actor.kind');
  if (!ID.test(e.actor.id)) invalid('actor.id');
  if (e.actor.ip !== undefined && isIP(e.actor.ip) === 0) invalid('actor.ip');
  if (e.actor.service !== undefined && !SERVICE.test(e.actor.service)) invalid('actor.service');
  if (!ACTION.test(e.action)) invalid('action');
  if (e.patientId !== null && !ID.test(e.patientId)) invalid('patientId');
  if (!(PURPOSES as readonly string[]).includes(e.purpose)) invalid('purpose');
  if (!(OUTCOMES as readonly string[]).includes(e.outcome)) invalid('outcome');
  if (e.reason !== undefined && !CODE.test(e.reason)) invalid('reason');
  if (e.fields !== undefined && !e.fields.every((f) => FIELD.test(f))) invalid('fields');
  if (e.resultCount !== undefined && !(Number.isInteger(e.resultCount) && e.resultCount >= 0)) invalid('resultCount');
}
