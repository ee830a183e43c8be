import type { DeliveryStatus } from '../../schemas/generated/avro-types.js';
import { CareloopError } from '../../platform/errors.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { SmsAccounts } from '../../platform/sms/accounts.js';
import { deliveryStateOf } from '../../platform/sms/twilio-errors.js';
import { RateLimiter } from '../../platform/stores/rate-limit.js';
import { SmsQueue } from '../../platform/stores/sms-queue.js';
import { OrgIndexKeys } from '../../platform/vault/index-keys.js';
import { buildTwilioApp } from './app.js';
import { InboundSmsHandler } from './inbound.js';
import { AuditLog } from '../../platform/audit/audit-log.js';
import { CaregiverStore } from '../../platform/stores/caregivers.js';

/**
 * Twilio's webhooks as their own small service rather than routes of the gateway: they are public
 * to Twilio (not to patients' browsers), authenticate by signature instead of session tokens, and
 * scale with SMS traffic, not with open sockets. See docs/sms.md.
 */
export const twilioIngest: ServiceDefinition = {
  name: 'twilio',
  description: 'Twilio webhooks: inbound SMS (/v1/twilio/sms) and status callbacks (/v1/twilio/status)',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    const [publisher, redis, pool, keyring, security] = await Promise.all([deps.publisher(), deps.redis(), deps.postgres(), deps.keyring(), deps.security()]);
    const accounts = new SmsAccounts(pool);
    const queue = new SmsQueue(redis, cfg.redis.keyPrefix);
    const inbound = new InboundSmsHandler({
      redis, prefix: cfg.redis.keyPrefix, pool, publisher, keyring, verifier: security.verifier, now: ctx.now,
      caregivers: new CaregiverStore(pool, cfg.kafka.topicPrefix, new AuditLog(pool)),
      indexKeys: new OrgIndexKeys(pool, keyring, cfg.crypto.keyCacheTtl),
      promptLimiter: new RateLimiter(redis, { capacity: 10, refillPerSecond: 10 / 3600 }, Date.now, cfg.redis.keyPrefix), // ten prompts an hour per number
    });
    const local = `http://${cfg.services.host}:${cfg.services.twilioPort}`;
    const app = await buildTwilioApp({
      log: ctx.log, metrics: ctx.metrics, publicBaseUrl: cfg.sms.webhookBaseUrl !== '' ? cfg.sms.webhookBaseUrl : local,
      account: (sid) => accounts.byAccountSid(sid),
      async inbound(account, p) {
        if (typeof p['MessageSid'] !== 'string' || typeof p['From'] !== 'string') throw new CareloopError('VALIDATION_FAILED', 'MessageSid and From are required');
        await inbound.handle(account, { MessageSid: p['MessageSid'], From: p['From'], Body: p['Body'] ?? '' });
      },
      async status(account, p) {
        const state = deliveryStateOf(p['MessageStatus'] ?? p['SmsStatus'] ?? '');
        const ids = typeof p['MessageSid'] === 'string' ? await queue.idsOfSid(p['MessageSid']) : null;
        if (state === null || ids === null || ids.organizationId !== account.organizationId) return; // not ours, or a state we do not track
        const errorCode = p['ErrorCode'] !== undefined && p['ErrorCode'] !== '' ? `TWILIO_${p['ErrorCode']}` : null;
        const status: DeliveryStatus = { ...ids, channel: 'SMS', status: state, at: ctx.now(), attempt: 1, errorCode };
        await publisher.publish('delivery.status', [{ key: ids.patientId, value: status }]);
      },
    });
    const url = await app.listen({ host: cfg.services.host, port: cfg.services.twilioPort });
    return {
      name: 'twilio', endpoints: [{ name: 'Twilio webhooks', url: `${url}/v1/twilio/sms` }], checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']),
      stop: () => app.close(),
    };
  },
};
