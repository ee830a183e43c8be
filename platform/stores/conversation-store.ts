import { RedisScript } from '../storage/redis-script.js';
import type { RedisClient } from '../storage/redis.js';

/**
 * Conversation state of one patient, shared by every dialogue instance. Stored as a Redis HASH
 * keyed by the pseudonymous patient id only (plain Redis: no RediSearch, so no search()).
 * Never holds message text; slots that may carry PHI are stored sealed.
 */
export interface ConversationState {
  organizationId: string;
  workflowId: string;
  workflowVersion: number;
  /** Where the workflow stands (step id). */
  step: string;
  optedOut: boolean;
  /** Inbound message ids already handled: a replay after a crash produces nothing new. */
  recent: string[];
  turn: number;
  /** Collected answers as JSON (sealed when they may carry PHI). */
  slots: string;
}

/** The HASH's key: `<redis.keyPrefix>conversation:<patientId>` (the layout redis-om wrote before, read the same). */
export function conversationKey(patientId: string, prefix = ''): string {
  return `${prefix}conversation:${patientId}`;
}

// The whole state in one command: the old fields go (an empty `recent` is stored as no field), the
// new ones and the TTL are set. ARGV[1] = TTL seconds, then field, value pairs.
const PUT = new RedisScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`);

export class ConversationStore {
  private readonly prefix: string;

  /** prefix: redis.keyPrefix, so deployments sharing a Redis keep apart. */
  constructor(private readonly client: RedisClient, private readonly ttlSeconds: number, private readonly now: () => number = Date.now, prefix = '') {
    this.prefix = prefix;
  }

  async get(patientId: string): Promise<ConversationState | null> {
    const h = await this.client.hGetAll(conversationKey(patientId, this.prefix));
    if (h['workflowId'] === undefined) return null;
    return {
      organizationId: h['organizationId'] ?? '', workflowId: h['workflowId'], workflowVersion: Number.parseFloat(h['workflowVersion'] ?? '0'), step: h['step'] ?? '',
      optedOut: h['optedOut'] === '1', recent: h['recent'] === undefined || h['recent'] === '' ? [] : h['recent'].split(','),
      turn: h['turn'] === undefined ? 0 : Number.parseFloat(h['turn']), slots: h['slots'] ?? '{}',
    };
  }

  async put(patientId: string, state: ConversationState): Promise<void> {
    const fields = [
      'organizationId', state.organizationId, 'workflowId', state.workflowId, 'workflowVersion', String(state.workflowVersion), 'step', state.step,
      'optedOut', state.optedOut ? '1' : '0', 'turn', String(state.turn), 'slots', state.slots, 'updatedAt', String(this.now() / 1000),
    ];
    if (state.recent.length > 0) fields.push('recent', state.recent.join(','));
    await PUT.run(this.client, [conversationKey(patientId, this.prefix)], [String(this.ttlSeconds), ...fields]);
  }

  async delete(patientId: string): Promise<void> {
    await this.client.unlink(conversationKey(patientId, this.prefix));
  }
}
