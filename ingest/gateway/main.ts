import { createHmac, randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundMessage, OutboundMessage } from '../../schemas/generated/avro-types.js';
import { inboundMessageId } from '../../platform/ids.js';
import { repoRoot } from '../../platform/paths.js';
import { WebChannel } from '../../platform/delivery/web-channel.js';
import { loadVapidKeys } from '../../platform/delivery/push-keys.js';
import { PushDevices } from '../../platform/stores/push-devices.js';
import { ChannelPreferences } from '../../platform/stores/channel-preferences.js';
import { RateLimiter } from '../../platform/stores/rate-limit.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { listenerTls } from '../../platform/service/tls.js';
import { buildGatewayApp, type DemoDirectory } from './app.js';
import { ChatGateway } from './gateway.js';
import { sessionSecret } from '../../platform/auth/secrets.js';
import { issueSessionToken, verifySessionToken } from '../../platform/auth/session-tokens.js';
import { ChatHistory, type HistoryEntry } from '../../platform/stores/chat-history.js';
import { ROOT_CONTEXT, SpanKind, activeTraceId, inSpan } from '../../platform/telemetry/tracing.js';

const EXPIRY_SWEEP_MS = 5000;
/** How long a message's 'being stored' marker lives (a crash mid-publish leaves it behind). */
const PENDING_SECONDS = 10;

/** The demo's patients with tokens minted at each request: the demo never runs into expired ones. */
function demoPatients(stackDir: string, mint: (organizationId: string, patientId: string) => Promise<string>): () => Promise<DemoDirectory> {
  const file = join(repoRoot(), stackDir, 'demo.json');
  return async () => {
    if (!existsSync(file)) return { organizationId: '', patients: [] };
    const demo = JSON.parse(readFileSync(file, 'utf8')) as { organizationId: string; patients: Array<{ id: string; label?: string }> };
    const patients = await Promise.all(demo.patients.map(async (p, i) => ({ id: p.id, token: await mint(demo.organizationId, p.id), label: p.label ?? `Demo patient ${i + 1}` })));
    return { organizationId: demo.organizationId, patients };
  };
}

/**
 * The WebSocket gateway: authenticates patients, acknowledges each message once it is durably in
 * chat.inbound (encrypted, keyed by patient), and pushes replies from the patient's outbox when
 * delivery nudges this instance over Redis pub/sub.
 */
export const gateway: ServiceDefinition = {
  name: 'gateway',
  description: 'patient WebSocket chat (/v1/chat) and the chat page',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    const instanceId = randomUUID();
    const [publisher, redis, keyring, security] = await Promise.all([deps.publisher(), deps.redis(), deps.keyring(), deps.security()]);
    const secret = sessionSecret(cfg);
    const prefix = cfg.redis.keyPrefix;
    const resendWindowSeconds = Math.max(60, Math.round(cfg.gateway.resendWindow / 1000));
    const limiter = new RateLimiter(redis, { capacity: cfg.gateway.rateLimitBurst, refillPerSecond: cfg.gateway.rateLimitPerMinute / 60 }, Date.now, prefix);
    const web = new WebChannel(redis, prefix);
    const { outbox, routes } = web;
    const pushDevices = new PushDevices(await deps.postgres(), keyring);
    const preferences = new ChannelPreferences(await deps.postgres());
    const codeLimiter = new RateLimiter(redis, { capacity: 3, refillPerSecond: 3 / 900 }, Date.now, prefix); // three codes per number per 15 minutes
    const history = new ChatHistory(redis, prefix, cfg.gateway.historyLines);
    const chat = new ChatGateway({
      instanceId, log: ctx.log, outbox, routes, now: ctx.now, metrics: ctx.metrics,
      ...(cfg.gateway.historyLines === 0 ? {} : {
        history: {
          async record(claims, line) { await history.append(claims.patientId, await keyring.sealText(claims.organizationId, claims.patientId, JSON.stringify(line))); },
          async recent(claims) {
            const lines = await Promise.all((await history.recent(claims.patientId)).map((s) => keyring.openText(claims.organizationId, claims.patientId, s).then((t) => JSON.parse(t) as HistoryEntry, () => null)));
            return lines.filter((l): l is HistoryEntry => l !== null);
          },
        },
      }),
      allow: (patientId) => limiter.take(`patient:${patientId}`),
      async accept(claims, frame, locale, receivedAt) {
        // The client's id dedupes resends (a reconnect before the ack): one message, one record.
        const seenKey = `${prefix}seen:${claims.patientId}:${frame.id}`;
        if ((await redis.set(seenKey, 'pending', { NX: true, EX: PENDING_SECONDS })) === null && (await redis.get(seenKey)) === 'done') return 'duplicate';
        // Not stored yet, or still 'pending': a gateway killed in the middle of the publish, or another
        // connection publishing it right now. Publish (again): the id derives from the client's, so the
        // processors see a redelivery of one message, and the patient's order is kept (a refusal here
        // would let their next messages overtake this one).
        try {
          // The trace of a patient message starts here; its W3C trace id is the record's traceId, so logs and traces meet.
          await inSpan('publish chat.inbound', SpanKind.PRODUCER, { 'messaging.system': 'kafka', 'messaging.destination.name': 'chat.inbound' }, ROOT_CONTEXT, async () => {
            const record: InboundMessage = {
              messageId: inboundMessageId(claims.organizationId, claims.patientId, frame.id), traceId: activeTraceId() ?? randomUUID(), organizationId: claims.organizationId, patientId: claims.patientId,
              channel: 'WEB', clientMessageId: frame.id, receivedAt, locale,
              text: await keyring.sealText(claims.organizationId, claims.patientId, frame.text),
            };
            await publisher.publish('chat.inbound', [{ key: claims.patientId, value: record }]);
          });
          await redis.set(seenKey, 'done', { EX: resendWindowSeconds });
          return 'accepted';
        } catch (err) {
          await redis.del(seenKey).catch(() => undefined);
          throw err;
        }
      },
      async openReply(organizationId, patientId, content) {
        return JSON.parse(await keyring.openText(organizationId, patientId, content)) as { text: string; quickReplies: string[] };
      },
    });
    // Sockets per pod: the gateway's autoscaling metric (the chart's HPA, via the Prometheus adapter).
    new Gauge({
      name: 'careloop_gateway_connections', help: 'open patient WebSockets on this gateway process', registers: [ctx.metrics.registry],
      collect() { this.set(chat.registry.size); },
    });
    const subscriber = redis.duplicate();
    subscriber.on('error', () => undefined);
    await subscriber.connect();
    await subscriber.subscribe(web.nudgeChannel(instanceId), (patientId) => { void chat.drain(patientId); });
    const heartbeat = setInterval(() => { void chat.heartbeat().catch(() => undefined); }, cfg.gateway.heartbeatInterval);
    // One sweep for every socket's token expiry instead of a timer per socket: closed within EXPIRY_SWEEP_MS of it.
    const expiry = setInterval(() => chat.expireSessions(), EXPIRY_SWEEP_MS);
    const cleanup = async (): Promise<void> => {
      clearInterval(heartbeat);
      clearInterval(expiry);
      chat.closeAll();
      await subscriber.quit().catch(() => undefined);
    };
    const app = await buildGatewayApp({
      log: ctx.log, metrics: ctx.metrics, gateway: chat, maxFrameBytes: cfg.gateway.maxFrameBytes, https: listenerTls(cfg),
      verifyToken: async (token) => verifySessionToken(token, secret, new Date(ctx.now())),
      ipLimiter: new RateLimiter(redis, { capacity: cfg.api.rateLimitBurst, refillPerSecond: cfg.api.rateLimitPerMinute / 60 }, Date.now, prefix),
      verify: {
        verifier: security.verifier,
        // Keyed by an HMAC of the normalised phone: the number itself never becomes a Redis key.
        allowCodeRequest: async (organizationId, phone) => codeLimiter.take(`sms:${createHmac('sha256', secret).update(`${organizationId}|${phone.replace(/[^0-9+]/g, '')}`).digest('hex').slice(0, 32)}`),
        async issueToken(organizationId, patientId) {
          const token = await issueSessionToken({ organizationId, patientId, ttlMs: cfg.auth.sessionTtl }, secret, new Date(ctx.now()));
          return { token, expiresAt: new Date(ctx.now() + cfg.auth.sessionTtl).toISOString() };
        },
        async sendCode(organizationId, patientId, code, expiresAt) {
          const minutes = Math.max(1, Math.round((expiresAt.getTime() - ctx.now()) / 60_000));
          const text = `Your verification code is ${code}. It expires in ${minutes} minutes. Never share it.`;
          const message: OutboundMessage = {
            messageId: randomUUID(), traceId: randomUUID(), organizationId, patientId, channel: 'SMS', kind: 'SYSTEM', replyTo: null,
            createdAt: ctx.now(), workflowId: null, workflowVersion: null, templateId: 'verification_code', variantId: null, propensity: null,
            content: await keyring.sealText(organizationId, patientId, JSON.stringify({ text, quickReplies: [] })),
          };
          await publisher.publish('chat.outbound', [{ key: patientId, value: message }]);
        },
      },
      push: {
        vapidPublicKey: loadVapidKeys(cfg)?.publicKey ?? null,
        register: (org, patient, device) => pushDevices.register(org, patient, device),
        remove: (org, patient, id) => pushDevices.remove(org, patient, id),
        prefer: (org, patient, channel) => preferences.set(org, patient, channel),
      },
      allowedOrigins: cfg.gateway.allowedOrigins.split(',').map((o) => o.trim()).filter((o) => o !== ''),
      ...(cfg.env === 'production' ? {} : { demoPatients: demoPatients(cfg.stack.dir, (org, id) => issueSessionToken({ organizationId: org, patientId: id, ttlMs: cfg.auth.sessionTtl }, secret, new Date(ctx.now()))) }),
    });
    let url: string;
    try {
      url = await app.listen({ host: cfg.services.host, port: cfg.services.gatewayPort });
    } catch (err) {
      await cleanup();
      throw err;
    }
    const wsUrl = url.replace(/^http/, 'ws');
    return {
      name: 'gateway',
      endpoints: [{ name: 'chat page', url: `${url}/` }, { name: 'chat WebSocket', url: `${wsUrl}/v1/chat` }],
      checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']),
      async stop() {
        await app.close();
        await cleanup();
      },
    };
  },
};

