import type { RedisClient } from '../storage/redis.js';

/** A reminder in the due index: pseudonymous ids and times only (the member is what Redis holds). */
export interface IndexedReminder {
  id: string;
  organizationId: string;
  patientId: string;
  kind: string;
  medicationId: string;
  dueAt: number;
}

export interface ClaimedReminder extends IndexedReminder {
  /** True when it was claimed before and never acknowledged (its claimer died or stalled). */
  redelivery: boolean;
  /** The exact member, to acknowledge it. */
  member: string;
  /** When this claim's visibility ends: past it, another scheduler may claim it again, so it must not be published. */
  deadline: number;
}

/**
 * Keys of one shard. The hash tag ({shard}) keeps a shard's due and in-flight sets on one Redis
 * Cluster slot, so the claim script may touch both; different shards spread over the cluster.
 */
export function reminderKeys(topicPrefix: string, redisPrefix: string, shard: number): { due: string; inflight: string } {
  const base = `${redisPrefix}reminders:${topicPrefix}:{${shard}}`;
  return { due: `${base}:due`, inflight: `${base}:inflight` };
}

/** Present while the index is known to mirror PostgreSQL; a Redis flush removes it and the engine re-indexes. */
export function indexEpochKey(topicPrefix: string, redisPrefix: string): string {
  return `${redisPrefix}reminders:${topicPrefix}:epoch`;
}

// Expired claims first (redeliveries), then due entries; each moves to in-flight with a new deadline.
// One script, so two schedulers never claim the same member. The due entries claimed are the lowest
// ranks of the due set, so they leave it in one ZREMRANGEBYRANK; ZADDs go in chunks of 500 members.
const CLAIM = `
local now = tonumber(ARGV[1])
local deadline = now + tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local out = {}
local function inflight(members)
  for i = 1, #members, 500 do
    local args = {}
    for j = i, math.min(i + 499, #members) do
      args[#args + 1] = deadline
      args[#args + 1] = members[j]
    end
    redis.call('ZADD', KEYS[2], unpack(args))
  end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
if #expired > 0 then inflight(expired) end
for _, m in ipairs(expired) do
  out[#out + 1] = '1'
  out[#out + 1] = m
end
local room = limit - #expired
if room > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, room)
  if #due > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #due - 1) end
  -- One already in flight (indexed again after a kill cut the indexing transaction) stays with its
  -- claim: claimed fresh as well, it would skip the Kafka check a redelivery gets and go out twice.
  local fresh = {}
  for _, m in ipairs(due) do
    if not redis.call('ZSCORE', KEYS[2], m) then fresh[#fresh + 1] = m end
  end
  if #fresh > 0 then inflight(fresh) end
  for _, m in ipairs(fresh) do
    out[#out + 1] = '0'
    out[#out + 1] = m
  end
end
return out`;

const encode = (r: IndexedReminder): string => JSON.stringify([r.id, r.organizationId, r.patientId, r.kind, r.medicationId, r.dueAt]);

function decode(member: string, redelivery: boolean, deadline: number): ClaimedReminder | null {
  const v = JSON.parse(member) as unknown;
  if (!Array.isArray(v) || v.length !== 6) return null;
  const [id, organizationId, patientId, kind, medicationId, dueAt] = v as [unknown, unknown, unknown, unknown, unknown, unknown];
  if (typeof id !== 'string' || typeof organizationId !== 'string' || typeof patientId !== 'string' || typeof kind !== 'string'
    || typeof medicationId !== 'string' || typeof dueAt !== 'number') return null;
  return { id, organizationId, patientId, kind, medicationId, dueAt, redelivery, member, deadline };
}

/**
 * The due index of the reminder engine: per shard, a sorted set of what falls due soon (score = due
 * time) and one of what is claimed but not yet acknowledged (score = visibility deadline). Claim →
 * publish → acknowledge; a claim left unacknowledged past its deadline is claimed again.
 */
export class ReminderIndex {
  constructor(private readonly redis: RedisClient, private readonly topicPrefix: string, private readonly redisPrefix: string) {}

  keys(shard: number): { due: string; inflight: string } {
    return reminderKeys(this.topicPrefix, this.redisPrefix, shard);
  }

  async add(shard: number, reminders: readonly IndexedReminder[]): Promise<void> {
    if (reminders.length === 0) return;
    await this.redis.zAdd(this.keys(shard).due, reminders.map((r) => ({ score: r.dueAt, value: encode(r) })));
  }

  /** Up to `limit` reminders due by `now` (and expired claims), now in flight until now + visibilityMs. */
  async claim(shard: number, now: number, visibilityMs: number, limit: number): Promise<ClaimedReminder[]> {
    const k = this.keys(shard);
    const raw = await this.redis.eval(CLAIM, { keys: [k.due, k.inflight], arguments: [String(now), String(visibilityMs), String(limit)] }) as string[];
    const out: ClaimedReminder[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const r = decode(raw[i + 1] ?? '', raw[i] === '1', now + visibilityMs);
      if (r !== null) out.push(r);
    }
    return out;
  }

  async ack(shard: number, claimed: readonly ClaimedReminder[]): Promise<void> {
    if (claimed.length === 0) return;
    await this.redis.zRem(this.keys(shard).inflight, claimed.map((c) => c.member));
  }

  /** Due and in-flight counts of a shard (for tests and operators). */
  async sizes(shard: number): Promise<{ due: number; inflight: number }> {
    const k = this.keys(shard);
    const [due, inflight] = await Promise.all([this.redis.zCard(k.due), this.redis.zCard(k.inflight)]);
    return { due, inflight };
  }

  async epochPresent(): Promise<boolean> {
    return (await this.redis.exists(indexEpochKey(this.topicPrefix, this.redisPrefix))) === 1;
  }

  async markEpoch(now: number): Promise<void> {
    await this.redis.set(indexEpochKey(this.topicPrefix, this.redisPrefix), String(now));
  }

  /** Removes every key of the given shards and the epoch (tests; an operator's rebuild). */
  async clear(shards: number): Promise<void> {
    const keys = Array.from({ length: shards }, (_, s) => Object.values(this.keys(s))).flat();
    await this.redis.del([...keys, indexEpochKey(this.topicPrefix, this.redisPrefix)]);
  }
}
