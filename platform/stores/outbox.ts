import type { RedisClient } from '../storage/redis.js';
import type { Sealed } from '../crypto/envelope.js';
import { routeKey } from './routing.js';
import { STREAM_ID_CMP } from './stream-ids.js';

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

// A new instance of the patient starts after what some socket has already been shown (that comes with the history).
const JOIN = `
if redis.call('HSETNX', KEYS[1], ARGV[1], redis.call('HGET', KEYS[1], '~seen') or '0-0') == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`;

// The page of entries this instance has not sent yet.
const PENDING = `
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur then
  cur = redis.call('HGET', KEYS[2], '~seen') or '0-0'
  redis.call('HSET', KEYS[2], ARGV[1], cur)
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return redis.call('XRANGE', KEYS[1], '(' .. cur, '+', 'COUNT', ARGV[2])`;

// Of the entries just shown, those nobody recorded in the history yet: exactly one instance keeps each line.
const CLAIM = `${STREAM_ID_CMP}
local kept = redis.call('HGET', KEYS[1], '~kept') or '0-0'
local mine = {}
for _, id in ipairs(ARGV) do
  if cmp(id, kept) > 0 then table.insert(mine, id) end
end
if #mine > 0 then redis.call('HSET', KEYS[1], '~kept', mine[#mine]) end
return mine`;

// Moves this instance's cursor and the seen mark; drops what every attached instance has sent, and cursors of instances gone.
const ACK = `${STREAM_ID_CMP}
local last = ARGV[2]
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if (not cur) or cmp(last, cur) > 0 then redis.call('HSET', KEYS[2], ARGV[1], last) end
local seen = redis.call('HGET', KEYS[2], '~seen')
if (not seen) or cmp(last, seen) > 0 then seen = last; redis.call('HSET', KEYS[2], '~seen', last) end
local attached = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[3])) do attached[m] = true end
local low = seen
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 1) ~= '~' then
    if attached[f] then
      if cmp(all[i + 1], low) < 0 then low = all[i + 1] end
    else
      redis.call('HDEL', KEYS[2], f)
    end
  end
end
local ms, sq = string.match(low, '^(%d+)-(%d+)$')
redis.call('XTRIM', KEYS[1], 'MINID', ms .. '-' .. (tonumber(sq) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1`;

export function outboxKey(patientId: string, prefix = ''): string {
  return `${prefix}outbox:${patientId}`;
}

/** Per patient: each gateway instance's position in the outbox, '~seen' (shown on some socket) and '~kept' (in the history). */
export function outboxPositionsKey(patientId: string, prefix = ''): string {
  return `${prefix}outpos:${patientId}`;
}

/** A stream entry's fields as Redis returns them from a script ([f1, v1, f2, v2, ...]); null when not an array. */
export function entryFromFields(streamId: string, fields: unknown): OutboxEntry | null {
  if (!Array.isArray(fields)) return null;
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(String(fields[i]), String(fields[i + 1]));
  return {
    streamId, messageId: m.get('m') ?? '', replyTo: m.get('r') || null, organizationId: m.get('o') ?? '',
    content: { keyId: m.get('k') ?? '', nonce: Buffer.from(m.get('n') ?? '', 'base64'), ciphertext: Buffer.from(m.get('c') ?? '', 'base64') },
  };
}

/**
 * Per-patient ordered queue of replies (a Redis stream). Delivery appends; every gateway instance
 * holding a socket of the patient sends it from its own position (so each of the patient's sockets,
 * on any pod, gets each reply once), and an entry leaves the stream once every attached instance
 * has sent it. An offline patient gets what no socket was shown on reconnect.
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

  /** Queued entries after `afterId` (exclusive), oldest first, whoever has sent them. */
  async read(patientId: string, afterId = '-', count = 100): Promise<OutboxEntry[]> {
    const start = afterId === '-' ? '-' : `(${afterId}`;
    const rows = await this.redis.xRange(outboxKey(patientId, this.prefix), start, '+', { COUNT: count });
    return rows.map((r) => entryFromFields(r.id, Object.entries(r.message).flat()) as OutboxEntry);
  }

  async remove(patientId: string, streamIds: readonly string[]): Promise<void> {
    if (streamIds.length > 0) await this.redis.xDel(outboxKey(patientId, this.prefix), [...streamIds]);
  }

  /** An instance takes its first socket of the patient: it starts after what was already shown somewhere. */
  async join(patientId: string, instanceId: string): Promise<void> {
    await this.redis.eval(JOIN, { keys: [outboxPositionsKey(patientId, this.prefix)], arguments: [instanceId, String(OUTBOX_TTL_SECONDS)] });
  }

  /** The instance's last socket of the patient closed: its position goes. */
  async leave(patientId: string, instanceId: string): Promise<void> {
    await this.redis.hDel(outboxPositionsKey(patientId, this.prefix), instanceId);
  }

  /** Entries this instance has not sent yet, oldest first. */
  async pending(patientId: string, instanceId: string, count = 100): Promise<OutboxEntry[]> {
    const rows = await this.redis.eval(PENDING, {
      keys: [outboxKey(patientId, this.prefix), outboxPositionsKey(patientId, this.prefix)], arguments: [instanceId, String(count), String(OUTBOX_TTL_SECONDS)],
    });
    if (!Array.isArray(rows)) return [];
    return rows.flatMap((r) => (Array.isArray(r) ? [entryFromFields(String(r[0]), r[1])].filter((e): e is OutboxEntry => e !== null) : []));
  }

  /** Of these shown entries (in order), the ones this instance records in the history: each is claimed once. */
  async claimHistory(patientId: string, streamIds: readonly string[]): Promise<Set<string>> {
    if (streamIds.length === 0) return new Set();
    const mine = await this.redis.eval(CLAIM, { keys: [outboxPositionsKey(patientId, this.prefix)], arguments: [...streamIds] });
    return new Set(Array.isArray(mine) ? mine.map(String) : []);
  }

  /** The instance has sent everything up to `lastStreamId` (inclusive) to its sockets of the patient. */
  async ack(patientId: string, instanceId: string, lastStreamId: string): Promise<void> {
    await this.redis.eval(ACK, {
      keys: [outboxKey(patientId, this.prefix), outboxPositionsKey(patientId, this.prefix), routeKey(patientId, this.prefix)],
      arguments: [instanceId, lastStreamId, String(OUTBOX_TTL_SECONDS)],
    });
  }
}
