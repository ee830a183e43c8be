import { Repository, Schema, type Entity } from 'redis-om';
import type { RedisClient } from '../storage/redis.js';

/**
 * Conversation state of one patient, shared by every dialogue instance. Stored as a Redis HASH
 * keyed by the pseudonymous patient id only (plain Redis: no RediSearch, so no search()).
 */
export interface ConversationState {
  patientId: string;
  organizationId: string;
  workflowId: string;
  workflowVersion: number;
  /** Where the workflow stands (step id). */
  step: string;
  /** Slots collected so far, JSON; encrypted when it may carry PHI. */
  slots: string;
  updatedAt: Date;
}

const schema = new Schema<ConversationState & Entity>(
  'conversation',
  {
    patientId: { type: 'string' },
    organizationId: { type: 'string' },
    workflowId: { type: 'string' },
    workflowVersion: { type: 'number' },
    step: { type: 'string' },
    slots: { type: 'string' },
    updatedAt: { type: 'date' },
  },
  { dataStructure: 'HASH' },
);

export class ConversationStore {
  private readonly repo: Repository<ConversationState & Entity>;

  constructor(client: RedisClient, private readonly ttlSeconds: number) {
    this.repo = new Repository(schema, client as never);
  }

  async get(patientId: string): Promise<ConversationState | null> {
    const e = await this.repo.fetch(patientId);
    if (e.patientId === undefined) return null; // redis-om returns an empty entity for a missing key
    return {
      patientId: e.patientId, organizationId: e.organizationId, workflowId: e.workflowId,
      workflowVersion: e.workflowVersion, step: e.step, slots: e.slots, updatedAt: e.updatedAt,
    };
  }

  async put(state: ConversationState): Promise<void> {
    await this.repo.save(state.patientId, { ...state } as ConversationState & Entity);
    await this.repo.expire(state.patientId, this.ttlSeconds);
  }

  async delete(patientId: string): Promise<void> {
    await this.repo.remove(patientId);
  }
}

