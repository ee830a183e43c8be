import type { RedisClient } from '../storage/redis.js';

const ROUTE_TTL_SECONDS = 90;

export function routeKey(patientId: string, prefix = ''): string {
  return `${prefix}route:${patientId}`;
}

export function gatewayChannel(instanceId: string, prefix = ''): string {
  return `${prefix}careloop:gw:${instanceId}`;
}

/**
 * Which gateway instances hold a patient's sockets. Each instance refreshes its entries on every
 * heartbeat; a crashed instance's entries expire. Delivery nudges the listed instances over pub/sub.
 */
export class RouteTable {
  /** prefix: redis.keyPrefix, so deployments sharing a Redis keep apart. */
  constructor(private readonly redis: RedisClient, private readonly prefix = '') {}

  async attach(patientId: string, instanceId: string): Promise<void> {
    const key = routeKey(patientId, this.prefix);
    await this.redis.multi().sAdd(key, instanceId).expire(key, ROUTE_TTL_SECONDS).exec();
  }

  async refresh(patientIds: readonly string[], instanceId: string): Promise<void> {
    if (patientIds.length === 0) return;
    const m = this.redis.multi();
    for (const p of patientIds) m.sAdd(routeKey(p, this.prefix), instanceId).expire(routeKey(p, this.prefix), ROUTE_TTL_SECONDS);
    await m.exec();
  }

  async detach(patientId: string, instanceId: string): Promise<void> {
    await this.redis.sRem(routeKey(patientId, this.prefix), instanceId);
  }

  async instancesOf(patientId: string): Promise<string[]> {
    return this.redis.sMembers(routeKey(patientId, this.prefix));
  }

  /** Tells an instance that the patient has new replies queued. */
  async nudge(instanceId: string, patientId: string): Promise<void> {
    await this.redis.publish(gatewayChannel(instanceId, this.prefix), patientId);
  }
}
