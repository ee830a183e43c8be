import type { RedisClient } from '../storage/redis.js';
import { RedisScript } from '../storage/redis-script.js';

/*
 * The SMS send queue and the sender slots, shared by every delivery-sms instance in Redis. Members
 * are message ids and the organisation's own sender numbers; the message content stays sealed.
 */

/** A message waiting to be sent: the outbound record (content sealed) and where it stands. */
export interface QueuedSms {
  messageId: string;
  /** The chat.outbound record's Avro bytes in base64 (its content still sealed), as consumed. */
  raw: string;
  partition: number;
  offset: string;
  /** Sends tried so far. */
  attempt: number;
  /** Set once a sender slot is reserved: the number, the instant it may send, and how late it may still. */
  sender?: string;
  slotAt?: number;
  lateMs?: number;
  intervalMs?: number;
}

// Earliest free sender of the pool; its next slot moves one interval on. Members are "interval|number".
const RESERVE = `
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
local member = top[1]; local free = tonumber(top[2]); local notBefore = tonumber(ARGV[1])
local slot = math.max(free, notBefore)
local interval = tonumber(string.match(member, '^(%d+)|'))
redis.call('ZADD', KEYS[1], slot + interval, member)
return {member, tostring(slot)}`;

// The last line of defence for a sender's rate, by Redis' clock: a send may start only this long after the
// sender's previous send was answered, and never while one is in flight (marked as ending in the future),
// so the carrier sees the gap even when a loaded machine delays one request and not the next.
const GUARD = `
local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if now - last < tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + tonumber(ARGV[1]) * 4 + 1000)
return 1`;

// The send was answered: the gap to the sender's next send counts from now.
const FINISH = `
local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now, 'PX', tonumber(ARGV[1]) * 4 + 1000)
return 1`;

// A send was created: the sender's gap runs from now (when guarded), the SID is kept for its callbacks, and
// the item is done; one round trip where three were (0.1 ms of CPU per text on each side).
const SENT = `
if ARGV[1] ~= '' then
  local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('SET', KEYS[1], now, 'PX', tonumber(ARGV[1]) * 4 + 1000)
end
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3]))
redis.call('ZREM', KEYS[3], ARGV[4]); redis.call('HDEL', KEYS[4], ARGV[4])
redis.call('SET', KEYS[5], '1', 'EX', tonumber(ARGV[5]))
return 1`;

/** How long a send may stay unanswered before its sender is free again (a crashed sender's mark expires). */
const IN_FLIGHT_MS = 30_000;

// Due ids move a visibility timeout ahead (a crashed claimer's work comes back) and are returned with their items.
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
  local item = redis.call('HGET', KEYS[2], id)
  if item then table.insert(out, item) else redis.call('ZREM', KEYS[1], id) end
end
return out`;

// Queues unless the id is queued or was sent within the dedupe window: a replayed record is sent once.
const ENQUEUE = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

const SCRIPTS = new Map([RESERVE, GUARD, FINISH, SENT, CLAIM, ENQUEUE].map((s) => [s, new RedisScript(s)]));

export class SmsQueue {
  constructor(private readonly redis: RedisClient, private readonly prefix = '', private readonly dedupeTtlSeconds = 6 * 3600) {}

  /** By SHA1 (EVALSHA): the body is not sent and hashed again on every call (three a text). */
  private async script(body: string, opts: { keys: string[]; arguments: string[] }): Promise<unknown> {
    return (SCRIPTS.get(body) ?? new RedisScript(body)).run(this.redis, opts.keys, opts.arguments);
  }

  private get queueKey(): string { return `${this.prefix}sms:queue`; }
  private get itemsKey(): string { return `${this.prefix}sms:items`; }
  private doneKey(messageId: string): string { return `${this.prefix}sms:done:${messageId}`; }
  private sendersKey(organizationId: string): string { return `${this.prefix}sms:senders:${organizationId}`; }
  private sidKey(sid: string): string { return `${this.prefix}sms:sid:${sid}`; }

  /** false when this message id is already queued or was sent recently. */
  async enqueue(item: QueuedSms, dueAt: number): Promise<boolean> {
    const res = await this.script(ENQUEUE, { keys: [this.queueKey, this.itemsKey, this.doneKey(item.messageId)], arguments: [item.messageId, JSON.stringify(item), String(dueAt)] });
    return res === 1;
  }

  async claim(now: number, visibilityMs: number, limit: number): Promise<QueuedSms[]> {
    const res = await this.script(CLAIM, { keys: [this.queueKey, this.itemsKey], arguments: [String(now), String(visibilityMs), String(limit)] }) as string[];
    return res.map((s) => JSON.parse(s) as QueuedSms);
  }

  /** Puts a claimed item back, changed, to be claimed again at dueAt. */
  async reschedule(item: QueuedSms, dueAt: number): Promise<void> {
    await this.redis.multi().hSet(this.itemsKey, item.messageId, JSON.stringify(item)).zAdd(this.queueKey, { score: dueAt, value: item.messageId }).exec();
  }

  /** Done with it (sent, dropped or dead-lettered): out of the queue, remembered for the dedupe window. */
  async complete(messageId: string): Promise<void> {
    await this.redis.multi().zRem(this.queueKey, messageId).hDel(this.itemsKey, messageId).set(this.doneKey(messageId), '1', { EX: this.dedupeTtlSeconds }).exec();
  }

  async depth(): Promise<number> {
    return this.redis.zCard(this.queueKey);
  }

  /** Makes the organisation's sender pool match `senders` (interval ms per number), keeping reserved slots. */
  async syncSenders(organizationId: string, senders: ReadonlyArray<{ number: string; intervalMs: number }>): Promise<void> {
    const key = this.sendersKey(organizationId);
    const wanted = new Set(senders.map((s) => `${s.intervalMs}|${s.number}`));
    const present = await this.redis.zRange(key, 0, -1);
    const stale = present.filter((m) => !wanted.has(m));
    const multi = this.redis.multi();
    if (stale.length > 0) multi.zRem(key, stale);
    if (wanted.size > 0) multi.zAdd(key, [...wanted].map((value) => ({ score: 0, value })), { NX: true });
    await multi.exec();
  }

  /** Reserves the earliest free slot of the pool at or after notBefore; null when the pool is empty. */
  async reserve(organizationId: string, notBefore: number): Promise<{ sender: string; at: number; intervalMs: number } | null> {
    const res = await this.script(RESERVE, { keys: [this.sendersKey(organizationId)], arguments: [String(notBefore)] }) as [string, string] | null;
    if (res === null) return null;
    const bar = res[0].indexOf('|');
    return { sender: res[0].slice(bar + 1), at: Number(res[1]), intervalMs: Number(res[0].slice(0, bar)) };
  }

  /** true when the sender has not started a send within minGapMs (and now has); false: take another slot. */
  async startSend(organizationId: string, sender: string, minGapMs: number): Promise<boolean> {
    return (await this.script(GUARD, { keys: [this.lastKey(organizationId, sender)], arguments: [String(minGapMs), String(IN_FLIGHT_MS)] })) === 1;
  }

  /** The send started by startSend was answered (or failed): the sender's gap runs from now. */
  async finishSend(organizationId: string, sender: string, minGapMs: number): Promise<void> {
    await this.script(FINISH, { keys: [this.lastKey(organizationId, sender)], arguments: [String(minGapMs)] });
  }

  /**
   * Twilio created the message: finishSend (when the send was guarded), rememberSid and complete in
   * one atomic script, so the gap still counts from the answer and the text cannot be sent twice.
   */
  async completeSent(messageId: string, guard: { organizationId: string; sender: string; minGapMs: number } | null, sid: string, ids: SmsIds, ttlSeconds = 7 * 86_400): Promise<void> {
    const last = guard === null ? this.sidKey(sid) : this.lastKey(guard.organizationId, guard.sender);
    await this.script(SENT, {
      keys: [last, this.sidKey(sid), this.queueKey, this.itemsKey, this.doneKey(messageId)],
      arguments: [guard === null ? '' : String(guard.minGapMs), JSON.stringify(ids), String(ttlSeconds), messageId, String(this.dedupeTtlSeconds)],
    });
  }

  private lastKey(organizationId: string, sender: string): string {
    return `${this.prefix}sms:last:${organizationId}:${sender}`;
  }

  /** Which outbound message a Twilio message SID is, for its status callbacks. */
  async rememberSid(sid: string, ids: SmsIds, ttlSeconds = 7 * 86_400): Promise<void> {
    await this.redis.set(this.sidKey(sid), JSON.stringify(ids), { EX: ttlSeconds });
  }

  async idsOfSid(sid: string): Promise<SmsIds | null> {
    const raw = await this.redis.get(this.sidKey(sid));
    return raw === null ? null : JSON.parse(raw) as SmsIds;
  }
}

/** The pseudonymous ids a status callback is reported under. */
export interface SmsIds {
  messageId: string;
  traceId: string;
  organizationId: string;
  patientId: string;
}
