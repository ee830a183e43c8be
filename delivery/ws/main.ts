import type { DeliveryStatus, OutboundMessage } from '../../schemas/generated/avro-types.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import { Outbox } from '../../platform/stores/outbox.js';
import { RouteTable } from '../../platform/stores/routing.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';

/**
 * WebSocket delivery: queues each web reply in the patient's outbox (Redis stream, still
 * encrypted, deduplicated by message id) and nudges the gateway instances holding the patient's
 * sockets. A patient who is offline finds the queue on reconnect, in order.
 */
export const wsDelivery: ServiceDefinition = {
  name: 'delivery-ws',
  description: 'replies to the gateway instance holding the patient socket (queued while offline)',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps } = ctx;
    const [publisher, redis] = await Promise.all([deps.publisher(), deps.redis()]);
    const outbox = new Outbox(redis, ctx.cfg.redis.keyPrefix, ctx.cfg.delivery.dedupeWindow / 1000);
    const routes = new RouteTable(redis, ctx.cfg.redis.keyPrefix);
    const consumer = await startGroupConsumer(ctx, 'delivery-ws', {
      process: async (value) => {
        const m = value as OutboundMessage;
        if (m.channel !== 'WEB') return; // SMS replies belong to the SMS delivery worker
        const queued = await outbox.enqueue(m.patientId, { messageId: m.messageId, replyTo: m.replyTo, organizationId: m.organizationId, content: m.content });
        // Nudge even for a duplicate: the first attempt may have crashed between queueing and nudging.
        const instances = await routes.instancesOf(m.patientId);
        await Promise.all(instances.map((i) => routes.nudge(i, m.patientId)));
        if (!queued) return;
        const status: DeliveryStatus = {
          messageId: m.messageId, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId,
          channel: 'WEB', status: 'QUEUED', at: Date.now(), attempt: 1, errorCode: null,
        };
        await publisher.publish('delivery.status', [{ key: m.patientId, value: status }]);
      },
    });
    return { name: 'delivery-ws', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis']), stop: () => consumer.stop() };
  },
};
