import type { RedisClient } from '../storage/redis.js';
import type { DeliveryChannel } from './channel.js';

/** A proactive message that moves on to the next channel if it is still unseen at `at`. */
export interface PendingFallback {
  at: number;
  organizationId: string;
  patientId: string;
  /** The original message id (what waits in the web outbox). */
  messageId: string;
  traceId: string;
  /** Channels it went on so far, in order. */
  tried: DeliveryChannel[];
}

/** One set per deployment, like the workflow timers (the topic prefix names the deployment). */
export function fallbackKey(topicPrefix: string, redisPrefix = ''): string {
  return `${redisPrefix}fallbacks:${topicPrefix}`;
}

/**
 * Due times of delivery fallbacks in one Redis sorted set (members hold pseudonymous ids only).
 * Arming the same step twice is one member; a due one goes to exactly one claimer.
 */
export class FallbackStore {
  constructor(private readonly redis: RedisClient, private readonly key: string) {}

  /** sooner: an armed step moves up to `at` if that is earlier (a channel that failed at once). */
  async arm(f: PendingFallback, sooner = false): Promise<void> {
    const member = { score: f.at, value: JSON.stringify([f.organizationId, f.patientId, f.messageId, f.traceId, f.tried.join(',')]) };
    await this.redis.zAdd(this.key, member, sooner ? { LT: true } : { NX: true });
  }

  async claimDue(now: number, limit = 200): Promise<PendingFallback[]> {
    const members = await this.redis.zRangeByScoreWithScores(this.key, '-inf', now, { LIMIT: { offset: 0, count: limit } });
    const claimed: PendingFallback[] = [];
    for (const m of members) {
      if ((await this.redis.zRem(this.key, m.value)) !== 1) continue; // another instance took it
      const [organizationId, patientId, messageId, traceId, tried] = JSON.parse(m.value) as string[];
      if (organizationId && patientId && messageId && traceId && tried) {
        claimed.push({ at: m.score, organizationId, patientId, messageId, traceId, tried: tried.split(',') as DeliveryChannel[] });
      }
    }
    return claimed;
  }
}
