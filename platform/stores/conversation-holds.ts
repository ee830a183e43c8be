import type { RedisClient } from '../storage/redis.js';

/**
 * Meeting point between the care-team inbox (the one writer: the actions processor when a handoff
 * is raised, the API when staff claim or resolve) and the dialogue (the reader, once per turn):
 * while a patient's conversation is held by a person, the bot stays quiet for it; safety replies
 * still go out. One Redis HASH per patient, `<redis.keyPrefix>hold:<patientId>`, field = task id,
 * value = the task's due time (ms); pseudonymous ids and times only. Several tasks may hold one
 * conversation; it is released when the last of them is.
 */
export interface Hold {
  /** The task ids holding the conversation. */
  taskIds: string[];
  /** The earliest due time among them (when the patient was told to expect an answer). */
  dueAt: number;
}

/** A hold outlives no task by much: a forgotten one expires after a month, like conversation state. */
const HOLD_TTL_SECONDS = 30 * 86_400;

export function holdKey(patientId: string, redisPrefix = ''): string {
  return `${redisPrefix}hold:${patientId}`;
}

export class ConversationHolds {
  constructor(private readonly redis: RedisClient, private readonly redisPrefix = '') {}

  async hold(patientId: string, taskId: string, dueAt: number): Promise<void> {
    const key = holdKey(patientId, this.redisPrefix);
    await this.redis.multi().hSet(key, taskId, String(dueAt)).expire(key, HOLD_TTL_SECONDS).exec();
  }

  async release(patientId: string, taskId: string): Promise<void> {
    await this.redis.hDel(holdKey(patientId, this.redisPrefix), taskId);
  }

  /** Erasure: every hold on the patient goes. */
  async forget(patientId: string): Promise<void> {
    await this.redis.del(holdKey(patientId, this.redisPrefix));
  }

  async get(patientId: string): Promise<Hold | null> {
    const fields = await this.redis.hGetAll(holdKey(patientId, this.redisPrefix));
    const entries = Object.entries(fields);
    if (entries.length === 0) return null;
    return { taskIds: entries.map(([id]) => id), dueAt: Math.min(...entries.map(([, at]) => Number(at))) };
  }
}
