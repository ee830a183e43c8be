import type { RedisClient } from '../storage/redis.js';

/** A workflow timer: a wait, a question's timeout or a schedule, due at `at` (ms since epoch). */
export interface WorkflowTimer {
  at: number;
  organizationId: string;
  patientId: string;
  workflowId: string;
  timerId: string;
}

/** One set per deployment: its timers feed its own topics (the topic prefix names the deployment). */
export function timerKey(topicPrefix: string, redisPrefix = ''): string {
  return `${redisPrefix}timers:workflow:${topicPrefix}`;
}

/**
 * Due times of workflow timers, in one Redis sorted set shared by every instance (members hold
 * pseudonymous ids only). Any number of schedulers may poll: a timer is fired by whoever removes it.
 */
export class TimerStore {
  constructor(private readonly redis: RedisClient, private readonly key: string) {}

  async schedule(timers: readonly WorkflowTimer[]): Promise<void> {
    if (timers.length === 0) return;
    await this.redis.zAdd(this.key, timers.map((t) => ({
      score: t.at,
      value: JSON.stringify([t.organizationId, t.patientId, t.workflowId, t.timerId]),
    })));
  }

  /** Removes and returns timers due by `now`; each one goes to exactly one caller. */
  async claimDue(now: number, limit = 500): Promise<WorkflowTimer[]> {
    const members = await this.redis.zRangeByScoreWithScores(this.key, '-inf', now, { LIMIT: { offset: 0, count: limit } });
    const claimed: WorkflowTimer[] = [];
    for (const m of members) {
      if ((await this.redis.zRem(this.key, m.value)) !== 1) continue; // another scheduler took it
      const [organizationId, patientId, workflowId, timerId] = JSON.parse(m.value) as string[];
      if (organizationId && patientId && workflowId && timerId) claimed.push({ at: m.score, organizationId, patientId, workflowId, timerId });
    }
    return claimed;
  }
}
