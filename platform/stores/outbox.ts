import type { RedisClient } from '../storage/redis.js';
import type { Sealed } from '../crypto/envelope.js';

/** A reply waiting for the patient's socket; the content stays encrypted while it waits in Redis. */
export interface OutboxEntry {
  /** Redis stream id: the order of delivery. */
  streamId: string;
  messageId: string;
  replyTo: string | null;
  organizationId: string;
  content: Sealed;
}

const OUTBOX_TTL_SECONDS = 7 * 86_400;
/** How long a queued reply id is remembered by default (delivery.dedupeWindow). */
const DEDUPE_TTL_SECONDS = 6 * 3600;
const MAX_QUEUED = 1000;

// Adds the entry unless this message id was queued before: a replayed Kafka record never queues twice.
const ENQUEUE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[3], 'r', ARGV[4], 'o', ARGV[5], 'k', ARGV[6], 'n', ARGV[7], 'c', ARGV[8])
  redis.call('EXPIRE', KEYS[1], ARGV[9])
  return id
end
return false`;

export function outboxKey(patientId: string, prefix = ''): string {
  return `${prefix}outbox:${patientId}`;
}

/**
 * Per-patient ordered queue of replies (a Redis stream). Delivery appends; the gateway holding the
 * patient's socket drains it in order and deletes what it sent, so an offline patient gets every
 * queued reply on reconnect.
 */
export class Outbox {
  /** prefix: redis.keyPrefix, so deployments sharing a Redis keep apart. */
  constructor(private readonly redis: RedisClient, private readonly prefix = '', private readonly dedupeTtlSeconds = DEDUPE_TTL_SECONDS) {}

  /** Returns false when the message was already queued (a duplicate). */
  async enqueue(patientId: string, e: Omit<OutboxEntry, 'streamId'>): Promise<boolean> {
    const res = await this.redis.eval(ENQUEUE, {
      keys: [outboxKey(patientId, this.prefix), `${this.prefix}queued:${e.messageId}`],
      arguments: [String(Math.max(60, Math.round(this.dedupeTtlSeconds))), String(MAX_QUEUED), e.messageId, e.replyTo ?? '', e.organizationId,
        e.content.keyId, e.content.nonce.toString('base64'), e.content.ciphertext.toString('base64'), String(OUTBOX_TTL_SECONDS)],
    });
    return typeof res === 'string';
  }

  /** Queued entries after `afterId` (exclusive), oldest first. */
  async read(patientId: string, afterId = '-', count = 100): Promise<OutboxEntry[]> {
    const start = afterId === '-' ? '-' : `(${afterId}`;
    const rows = await this.redis.xRange(outboxKey(patientId, this.prefix), start, '+', { COUNT: count });
    return rows.map((r) => ({
      streamId: r.id,
      messageId: r.message['m'] ?? '',
      replyTo: r.message['r'] ? (r.message['r'] as string) : null,
      organizationId: r.message['o'] ?? '',
      content: { keyId: r.message['k'] ?? '', nonce: Buffer.from(r.message['n'] ?? '', 'base64'), ciphertext: Buffer.from(r.message['c'] ?? '', 'base64') },
    }));
  }

  async remove(patientId: string, streamIds: readonly string[]): Promise<void> {
    if (streamIds.length > 0) await this.redis.xDel(outboxKey(patientId, this.prefix), [...streamIds]);
  }
}
