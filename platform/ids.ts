import { createHash } from 'node:crypto';

/** A UUID-shaped id (version nibble 5, RFC 4122 variant) derived from a seed: the same seed, the same id. */
export function derivedId(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The id of a patient's chat message, derived from the client's own id for it: a resend after a
 * gateway crash that cut the publish short is published under the same id, which the processors
 * and delivery already treat as a redelivery (one reply, one adherence row).
 */
export function inboundMessageId(organizationId: string, patientId: string, clientMessageId: string): string {
  return derivedId(`inbound\u0000${organizationId}\u0000${patientId}\u0000${clientMessageId}`);
}
