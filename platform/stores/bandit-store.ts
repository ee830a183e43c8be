/*
 * The variant bandit's state in Redis: per organisation and segment, each message variant's sends and
 * rewards; per patient, the sends still waiting for their reward. Keys hold pseudonymous ids, workflow
 * and text ids and segment names only; never a text. The organisation is the hash tag: an
 * organisation's bandit keys stay on one Redis Cluster slot.
 */
import type { ArmStats } from '../personalisation/beta.js';
import type { PendingSend } from '../personalisation/rewards.js';
import { RedisScript } from '../storage/redis-script.js';
import type { RedisClient } from '../storage/redis.js';

// KEYS: pending, last, segments, then the arms key of each send; ARGV: TTL, then per send: id, JSON, segment, message, variant.
const RECORD_SENDS = new RedisScript(`
local j = 4
for i = 2, #ARGV, 5 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HINCRBY', KEYS[j], ARGV[i + 3] .. '#' .. ARGV[i + 4] .. '#s', 1)
  end
  redis.call('SADD', KEYS[3], ARGV[i + 2])
  redis.call('HSET', KEYS[2], ARGV[i + 3], ARGV[i + 4])
  j = j + 1
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1`);

// KEYS: pending, then the arms key of each rewarded send; ARGV: n rewarded, per rewarded: id, arms field; then expired ids.
const SETTLE = new RedisScript(`
local n = tonumber(ARGV[1])
for k = 1, n do
  if redis.call('HDEL', KEYS[1], ARGV[2 * k]) == 1 then redis.call('HINCRBY', KEYS[1 + k], ARGV[2 * k + 1], 1) end
end
for i = 2 + 2 * n, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
return 1`);


export class BanditStore {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly pendingTtlSeconds: number) {}

  private base(org: string): string { return `${this.prefix}bandit:{${org}}`; }
  private armsKey(org: string, segment: string): string { return `${this.base(org)}:arms:${segment}`; }
  private pendingKey(org: string, patientId: string): string { return `${this.base(org)}:pending:${patientId}`; }
  private segmentsKey(org: string): string { return `${this.base(org)}:segments`; }
  private lastKey(org: string, patientId: string): string { return `${this.base(org)}:last:${patientId}`; }

  /** The variant index the patient heard last, per message key (the bandit avoids repeating it). */
  async lastVariants(org: string, patientId: string): Promise<Map<string, number>> {
    const raw = await this.redis.hGetAll(this.lastKey(org, patientId));
    return new Map(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  /** Every message's arms in one segment: message key → stats by variant index. */
  async arms(org: string, segment: string): Promise<Map<string, ArmStats[]>> {
    return parseArms(await this.redis.hGetAll(this.armsKey(org, segment)));
  }

  /** The patient's sends still waiting for a reward. */
  async pending(org: string, patientId: string): Promise<PendingSend[]> {
    const raw = await this.redis.hGetAll(this.pendingKey(org, patientId));
    return Object.values(raw).flatMap((v) => { try { return [JSON.parse(v) as PendingSend]; } catch { return []; } });
  }

  /** Counts new sends (once per send id) and remembers them until rewarded or expired: one script, one command. */
  async recordSends(org: string, patientId: string, sends: readonly PendingSend[]): Promise<void> {
    if (sends.length === 0) return;
    const keys = [this.pendingKey(org, patientId), this.lastKey(org, patientId), this.segmentsKey(org), ...sends.map((s) => this.armsKey(org, s.segment))];
    const args = [String(this.pendingTtlSeconds), ...sends.flatMap((s) => [s.sendId, JSON.stringify(s), s.segment, s.message, String(s.variant)])];
    await RECORD_SENDS.run(this.redis, keys, args);
  }

  /** Rewards and drops the given sends; a send already dropped (a replay) counts nothing. One script, one command. */
  async settle(org: string, patientId: string, rewarded: readonly PendingSend[], expired: readonly PendingSend[]): Promise<void> {
    if (rewarded.length === 0 && expired.length === 0) return;
    const keys = [this.pendingKey(org, patientId), ...rewarded.map((s) => this.armsKey(org, s.segment))];
    const args = [String(rewarded.length), ...rewarded.flatMap((s) => [s.sendId, `${s.message}#${s.variant}#r`]), ...expired.map((s) => s.sendId)];
    await SETTLE.run(this.redis, keys, args);
  }

  /** Every segment's arms of the organisation (for its results). */
  async organisation(org: string): Promise<Map<string, Map<string, ArmStats[]>>> {
    const segments = await this.redis.sMembers(this.segmentsKey(org));
    const out = new Map<string, Map<string, ArmStats[]>>();
    for (const seg of segments.sort()) out.set(seg, await this.arms(org, seg));
    return out;
  }
}

/** Fields `<message>#<variant>#s|r` → message → stats by variant. */
export function parseArms(raw: Record<string, string>): Map<string, ArmStats[]> {
  const out = new Map<string, ArmStats[]>();
  for (const [field, value] of Object.entries(raw)) {
    const m = /^(.*)#(\d+)#([sr])$/.exec(field);
    if (m === null) continue;
    const arms = out.get(m[1]!) ?? [];
    const i = Number(m[2]);
    while (arms.length <= i) arms.push({ sends: 0, rewards: 0 });
    if (m[3] === 's') arms[i]!.sends = Number(value);
    else arms[i]!.rewards = Number(value);
    out.set(m[1]!, arms);
  }
  return out;
}
