/*
 * The variant bandit's state in Redis: per organisation and segment, each message variant's sends and
 * rewards; per patient, the sends still waiting for their reward. Keys hold pseudonymous ids, workflow
 * and text ids and segment names only; never a text. The organisation is the hash tag: an
 * organisation's bandit keys stay on one Redis Cluster slot.
 */
import type { ArmStats } from '../personalisation/beta.js';
import type { PendingSend } from '../personalisation/rewards.js';
import type { RedisClient } from '../storage/redis.js';


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

  /** Counts new sends (once per send id) and remembers them until rewarded or expired. */
  async recordSends(org: string, patientId: string, sends: readonly PendingSend[]): Promise<void> {
    if (sends.length === 0) return;
    const pending = this.pendingKey(org, patientId);
    const m = this.redis.multi();
    for (const s of sends) {
      m.hSetNX(pending, s.sendId, JSON.stringify(s));
    }
    const created = (await m.exec()) as unknown as number[];
    const counters = this.redis.multi();
    sends.forEach((s, i) => {
      if (Number(created[i]) === 1) counters.hIncrBy(this.armsKey(org, s.segment), `${s.message}#${s.variant}#s`, 1);
    });
    for (const seg of new Set(sends.map((s) => s.segment))) counters.sAdd(this.segmentsKey(org), seg);
    for (const s of sends) counters.hSet(this.lastKey(org, patientId), s.message, String(s.variant));
    counters.expire(pending, this.pendingTtlSeconds);
    counters.expire(this.lastKey(org, patientId), this.pendingTtlSeconds);
    await counters.exec();
  }

  /** Rewards and drops the given sends; a send already dropped (a replay) counts nothing. */
  async settle(org: string, patientId: string, rewarded: readonly PendingSend[], expired: readonly PendingSend[]): Promise<void> {
    if (rewarded.length === 0 && expired.length === 0) return;
    const pending = this.pendingKey(org, patientId);
    const m = this.redis.multi();
    for (const s of rewarded) m.hDel(pending, s.sendId);
    const removed = (await m.exec()) as unknown as number[];
    const counters = this.redis.multi();
    rewarded.forEach((s, i) => { if (Number(removed[i]) === 1) counters.hIncrBy(this.armsKey(org, s.segment), `${s.message}#${s.variant}#r`, 1); });
    for (const s of expired) counters.hDel(pending, s.sendId);
    await counters.exec();
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
