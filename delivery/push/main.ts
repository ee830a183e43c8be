import { everyRound } from '../../platform/service/periodic.js';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { Counter } from 'prom-client';
import type { OutboundMessage } from '../../schemas/generated/avro-types.js';
import { normalizeError } from '../../platform/errors.js';
import { ChannelClaims } from '../../platform/delivery/channel-claims.js';
import { FallbackStore, fallbackKey } from '../../platform/delivery/fallbacks.js';
import { loadVapidKeys } from '../../platform/delivery/push-keys.js';
import { ReachabilityReader } from '../../platform/delivery/reachability.js';
import { WebChannel } from '../../platform/delivery/web-channel.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { PushDevices } from '../../platform/stores/push-devices.js';
import { runFallback } from './fallback.js';
import { FcmSender, readServiceAccount } from './fcm-sender.js';
import { deliverPush, type PushPorts } from './push-job.js';
import { WebPushSender } from './web-push-sender.js';

/** How long a push service keeps a notification for a device that is offline. */
const PUSH_TTL_SECONDS = 24 * 3600;

/**
 * Push delivery: chat.outbound records on the PUSH channel become Web Push (VAPID) and FCM HTTP v1
 * notifications that carry no PHI, the message itself waiting in the web outbox; and the
 * fallback loop, which sends a proactive message still unseen after delivery.fallbackAfter on to
 * the next channel (push, then SMS), once.
 */
export const pushDelivery: ServiceDefinition = {
  name: 'delivery-push',
  description: 'Web Push and FCM notifications; falls back from web to push to SMS for unseen reminders',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    const [publisher, redis, pool, keyring] = await Promise.all([deps.publisher(), deps.redis(), deps.postgres(), deps.keyring()]);
    const prefix = cfg.redis.keyPrefix;
    const web = new WebChannel(redis, prefix, cfg.delivery.dedupeWindow / 1000);
    const devices = new PushDevices(pool, keyring);
    const fallbacks = new FallbackStore(redis, fallbackKey(cfg.kafka.topicPrefix, prefix));
    const reach = new ReachabilityReader(pool, web.routes, await deps.vaultPostgres());
    const claims = new ChannelClaims(redis, prefix, cfg.delivery.dedupeWindow / 1000);
    const vapid = loadVapidKeys(cfg);
    const agent = cfg.push.caFile === '' ? undefined : new Agent({ ca: readFileSync(cfg.push.caFile), keepAlive: true });
    const webPush = vapid === null ? null : new WebPushSender({ keys: vapid, subject: cfg.push.vapidSubject, ttlSeconds: PUSH_TTL_SECONDS, ...(agent ? { agent } : {}) });
    const fcm = cfg.push.fcmServiceAccountFile === '' ? null : new FcmSender(readServiceAccount(cfg.push.fcmServiceAccountFile, cfg.push.fcmTokenUrl), cfg.push.fcmApiUrl, ctx.now);
    const pushes = new Counter({ name: 'careloop_push_notifications_total', help: 'push notifications by device kind (webpush, fcm) and outcome (sent, gone, failed)', labelNames: ['kind', 'outcome'], registers: [ctx.metrics.registry] });
    const moved = new Counter({ name: 'careloop_delivery_fallbacks_total', help: 'due fallbacks of unseen proactive messages by result (seen, no_channel, PUSH, SMS, withdrawn_late)', labelNames: ['result'], registers: [ctx.metrics.registry] });
    const sentKey = (id: string): string => `${prefix}pushed:${id}`;
    const chatUrl = cfg.push.chatUrl !== '' ? cfg.push.chatUrl : `http://${cfg.services.host}:${cfg.services.gatewayPort}/`;

    const ports: PushPorts = {
      web, devices, fallbacks, chatUrl, fallbackAfter: cfg.delivery.fallbackAfter, now: ctx.now,
      webPush: webPush === null ? null : (sub, n) => webPush.send(sub, n),
      fcm: fcm === null ? null : (token, n) => fcm.send(token, n),
      async recipient(org, patient) {
        const { rows } = await pool.query<{ display_name: string; preferred_language: string; status: string }>(
          'SELECT o.display_name, p.preferred_language, p.status FROM patients p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1 AND p.organization_id = $2', [patient, org]);
        const r = rows[0];
        return r === undefined ? null : { organizationName: r.display_name, language: r.preferred_language, active: r.status === 'active' };
      },
      claim: (id) => claims.claim(id, 'PUSH'),
      sentBefore: async (id) => (await redis.exists(sentKey(id))) === 1,
      markSent: async (id) => { await redis.set(sentKey(id), '1', { EX: Math.max(60, Math.round(cfg.delivery.dedupeWindow / 1000)) }); },
      count: (kind, outcome) => pushes.inc({ kind, outcome }),
      status: (s) => publisher.publish('delivery.status', [{ key: s.patientId, value: s }]),
    };
    const consumer = await startGroupConsumer(ctx, 'delivery-push', {
      process: async (value) => {
        const m = value as OutboundMessage;
        if (m.channel !== 'PUSH') return; // web and SMS records belong to their own workers
        await deliverPush(m, ports);
      },
    });

    const interval = everyRound(cfg.delivery.fallbackPollInterval, async () => {
      for (const f of await fallbacks.claimDue(ctx.now())) {
        try {
          moved.inc({ result: await runFallback(f, {
            web, now: ctx.now, reachability: (org, patient) => reach.of(org, patient),
            publish: (m) => publisher.publish('chat.outbound', [{ key: m.patientId, value: m }]),
          }) });
        } catch (err) {
          await fallbacks.arm({ ...f, at: ctx.now() + cfg.delivery.fallbackPollInterval }); // try again next round
          ctx.log.warn({ code: normalizeError(err).code, messageId: f.messageId, organizationId: f.organizationId, patientId: f.patientId }, 'fallback failed; retrying');
        }
      }
    }, (err) => ctx.log.warn({ code: err.code }, 'fallback round failed; retrying'));
    return {
      name: 'delivery-push', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']),
      stop: async () => { clearInterval(interval); await consumer.stop(); agent?.destroy(); },
    };
  },
};
