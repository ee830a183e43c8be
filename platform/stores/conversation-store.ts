import { Repository, Schema, type Entity } from 'redis-om';
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

interface StoredState extends Entity {
  organizationId: string; workflowId: string; workflowVersion: number; step: string;
  optedOut: boolean; recent: string[]; turn: number; slots: string; updatedAt: Date;
}

/** The HASH schema; its name is the key prefix (`<redis.keyPrefix>conversation:<patientId>`). */
function schemaFor(prefix: string): Schema<StoredState> {
  return new Schema<StoredState>(
    `${prefix}conversation`,
    {
      organizationId: { type: 'string' },
      workflowId: { type: 'string' },
      workflowVersion: { type: 'number' },
      step: { type: 'string' },
      optedOut: { type: 'boolean' },
      recent: { type: 'string[]', separator: ',' },
      turn: { type: 'number' },
      slots: { type: 'string' },
      updatedAt: { type: 'date' },
    },
    { dataStructure: 'HASH' },
  );
}

export class ConversationStore {
  private readonly repo: Repository<StoredState>;

  /** prefix: redis.keyPrefix, so deployments sharing a Redis keep apart. */
  constructor(client: RedisClient, private readonly ttlSeconds: number, private readonly now: () => number = Date.now, prefix = '') {
    this.repo = new Repository(schemaFor(prefix), client as never);
  }

  async get(patientId: string): Promise<ConversationState | null> {
    const e = await this.repo.fetch(patientId);
    if (e.workflowId === undefined) return null; // redis-om returns an empty entity for a missing key
    return {
      organizationId: e.organizationId, workflowId: e.workflowId, workflowVersion: e.workflowVersion, step: e.step,
      optedOut: e.optedOut === true, recent: e.recent ?? [], turn: e.turn ?? 0, slots: e.slots ?? '{}',
    };
  }

  async put(patientId: string, state: ConversationState): Promise<void> {
    await this.repo.save(patientId, { ...state, updatedAt: new Date(this.now()) } as StoredState);
    await this.repo.expire(patientId, this.ttlSeconds);
  }

  async delete(patientId: string): Promise<void> {
    await this.repo.remove(patientId);
  }
}
