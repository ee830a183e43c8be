import type { DeliveryStatus, OutboundMessage } from '../../schemas/generated/avro-types.js';
import { ChannelClaims } from '../../platform/delivery/channel-claims.js';
import { FallbackStore, fallbackKey } from '../../platform/delivery/fallbacks.js';
import { WebChannel } from '../../platform/delivery/web-channel.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';

/**
 * WebSocket delivery: queues each web reply in the patient's outbox and nudges the gateway
 * instances holding the patient's sockets, through the web channel (platform/delivery/web-channel.ts).
 * A patient who is offline finds the queue on reconnect, in order. A proactive message arms its
 * fallback: still unseen after delivery.fallbackAfter, delivery-push sends it on to push or SMS.
 */
export const wsDelivery: ServiceDefinition = {
  name: 'delivery-ws',
  description: 'replies to the gateway instance holding the patient socket (queued while offline)',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { deps, cfg } = ctx;
    const [publisher, redis] = await Promise.all([deps.publisher(), deps.redis()]);
    const web = new WebChannel(redis, cfg.redis.keyPrefix, cfg.delivery.dedupeWindow / 1000);
    const fallbacks = new FallbackStore(redis, fallbackKey(cfg.kafka.topicPrefix, cfg.redis.keyPrefix));
    const claims = new ChannelClaims(redis, cfg.redis.keyPrefix, cfg.delivery.dedupeWindow / 1000);
    const consumer = await startGroupConsumer(ctx, 'delivery-ws', {
      process: async (value) => {
        const m = value as OutboundMessage;
        if (m.channel !== 'WEB') return; // SMS and push records belong to their own workers
        // Replies keep their inbound's channel; a proactive record replayed onto another channel goes out once.
        if (m.kind === 'PROACTIVE' && !(await claims.claim(m.messageId, 'WEB'))) return;
        const queued = await web.deliver(m.patientId, { messageId: m.messageId, replyTo: m.replyTo, organizationId: m.organizationId, content: m.content });
        if (m.kind === 'PROACTIVE') {
          await fallbacks.arm({ at: m.createdAt + cfg.delivery.fallbackAfter, organizationId: m.organizationId, patientId: m.patientId, messageId: m.messageId, traceId: m.traceId, tried: ['WEB'] });
        }
        if (!queued) return;
        const status: DeliveryStatus = {
          messageId: m.messageId, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId,
          channel: 'WEB', status: 'QUEUED', at: ctx.now(), attempt: 1, errorCode: null,
        };
        await publisher.publish('delivery.status', [{ key: m.patientId, value: status }]);
      },
    });
    return { name: 'delivery-ws', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis']), stop: () => consumer.stop() };
  },
};
