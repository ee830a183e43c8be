import type { RedisClient } from '../storage/redis.js';

const ROUTE_TTL_SECONDS = 90;

export function routeKey(patientId: string): string {
  return `route:${patientId}`;
}

export function gatewayChannel(instanceId: string): string {
  return `careloop:gw:${instanceId}`;
}

/**
 * Which gateway instances hold a patient's sockets. Each instance refreshes its entries on every
 * heartbeat; a crashed instance's entries expire. Delivery nudges the listed instances over pub/sub.
 */
export class RouteTable {
  constructor(private readonly redis: RedisClient) {}

  async attach(patientId: string, instanceId: string): Promise<void> {
    await this.redis.multi().sAdd(routeKey(patientId), instanceId).expire(routeKey(patientId), ROUTE_TTL_SECONDS).exec();
  }

  async refresh(patientIds: readonly string[], instanceId: string): Promise<void> {
    if (patientIds.length === 0) return;
    const m = this.redis.multi();
    for (const p of patientIds) m.sAdd(routeKey(p), instanceId).expire(routeKey(p), ROUTE_TTL_SECONDS);
    await m.exec();
  }

  async detach(patientId: string, instanceId: string): Promise<void> {
    await this.redis.sRem(routeKey(patientId), instanceId);
  }

  async instancesOf(patientId: string): Promise<string[]> {
    return this.redis.sMembers(routeKey(patientId));
  }

  /** Tells an instance that the patient has new replies queued. */
  async nudge(instanceId: string, patientId: string): Promise<void> {
    await this.redis.publish(gatewayChannel(instanceId), patientId);
  }
}
