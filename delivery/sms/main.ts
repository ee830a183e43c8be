import { ChannelClaims } from '../../platform/delivery/channel-claims.js';
import type { OutboundMessage } from '../../schemas/generated/avro-types.js';
import { CareloopError } from '../../platform/errors.js';
import { startGroupConsumer } from '../../platform/service/group-consumer.js';
import type { RunningService, ServiceContext, ServiceDefinition } from '../../platform/service/types.js';
import { SmsAccounts } from '../../platform/sms/accounts.js';
import { TwilioClients } from '../../platform/sms/client.js';
import type { PgPool } from '../../platform/storage/postgres.js';
import { SmsQueue } from '../../platform/stores/sms-queue.js';
import type { Vault } from '../../platform/vault/vault.js';
import type { Recipient } from './policy.js';
import { SmsSender, type RecipientDirectory } from './sender.js';

const MAX_VALIDITY_MS = 36_000_000; // Twilio's ValidityPeriod ceiling (10 h)
const VISIBILITY_MS = 120_000; // a claimed text whose instance died is claimed again after this long (a busy one must not lose it to another first)

/** Patient status and SMS consent from the system of record, the phone from the vault (audited). */
export function pgDirectory(pool: PgPool, vault: Vault): RecipientDirectory {
  return {
    async caregiver(organizationId, caregiverId) {
      const { rows: [r] } = await pool.query<{ consented: boolean; opted_out: boolean; active: boolean; timezone: string | null }>(
        `SELECT c.consented, c.opted_out, c.active, p.timezone FROM reminders.caregivers c JOIN patients p ON p.id = c.patient_id
          WHERE c.organization_id = $1 AND c.id = $2 AND p.status <> 'erased'`, [organizationId, caregiverId]);
      if (r === undefined || !r.active) return { kind: 'caregiver', status: 'unknown', smsConsent: null, timezone: null };
      return { kind: 'caregiver', status: r.opted_out ? 'opted_out' : 'active', smsConsent: r.consented, timezone: r.timezone };
    },
    async recipient(organizationId, patientId) {
      const { rows } = await pool.query<{ status: Recipient['status']; granted: boolean | null; timezone: string | null }>(
        `SELECT p.status, c.granted, p.timezone FROM patients p LEFT JOIN consents c ON c.patient_id = p.id AND c.channel = 'sms'
          WHERE p.id = $1 AND p.organization_id = $2`, [patientId, organizationId]);
      const r = rows[0];
      return r === undefined ? { kind: 'patient', status: 'unknown', smsConsent: null, timezone: null } : { kind: 'patient', status: r.status, smsConsent: r.granted, timezone: r.timezone };
    },
    async phoneOf(organizationId, patientId) {
      const identity = await vault.getIdentity({ kind: 'service', id: 'delivery-sms', service: 'delivery-sms' }, organizationId, patientId, 'treatment').catch(() => null);
      return identity?.phone ?? null;
    },
  };
}

/**
 * SMS delivery: takes chat.outbound records for the SMS channel into a shared Redis queue (content
 * still sealed, deduplicated by message id) and sends them from the organisation's Twilio account
 * as sender slots, quiet hours and retries allow. See docs/sms.md.
 */
export const smsDelivery: ServiceDefinition = {
  name: 'delivery-sms',
  description: 'texts through Twilio: per-sender rate limits, quiet hours, retries, opt-out at the edge',
  async start(ctx: ServiceContext): Promise<RunningService> {
    const { cfg, deps } = ctx;
    if (cfg.sms.validityPeriod > MAX_VALIDITY_MS) throw new CareloopError('CONFIG_INVALID', 'config key "sms.validityPeriod" must be at most 10h (Twilio\'s ValidityPeriod)', { details: { key: 'sms.validityPeriod' } });
    const [publisher, redis, pool, keyring, security, catalogue] = await Promise.all([deps.publisher(), deps.redis(), deps.postgres(), deps.keyring(), deps.security(), deps.catalogue()]);
    const queue = new SmsQueue(redis, cfg.redis.keyPrefix, cfg.delivery.dedupeWindow / 1000);
    const claims = new ChannelClaims(redis, cfg.redis.keyPrefix, cfg.delivery.dedupeWindow / 1000);
    const base = cfg.sms.webhookBaseUrl !== '' ? cfg.sms.webhookBaseUrl : `http://${cfg.services.host}:${cfg.services.twilioPort}`;
    const sender = new SmsSender({
      queue, accounts: new SmsAccounts(pool), clients: new TwilioClients(cfg.sms.apiBaseUrl), directory: pgDirectory(pool, security.vault),
      keyring, catalogue, publisher, log: ctx.log, registry: ctx.metrics.registry, now: ctx.now,
      rates: { longCode: cfg.sms.longCodeRate, tollFree: cfg.sms.tollFreeRate, shortCode: cfg.sms.shortCodeRate },
      validityMs: cfg.sms.validityPeriod, maxAttempts: cfg.sms.maxAttempts, retryBackoffMs: cfg.sms.retryBackoff,
      statusCallbackUrl: `${base.replace(/\/$/, '')}/v1/twilio/status`,
    });
    const consumer = await startGroupConsumer(ctx, 'delivery-sms', {
      process: async (value, rc) => {
        const m = value as OutboundMessage;
        if (m.channel !== 'SMS') return; // web replies belong to delivery-ws
        // A proactive message goes out on one channel only: a replay the channel choice moved elsewhere is dropped.
        if (m.kind === 'PROACTIVE' && !(await claims.claim(m.messageId, 'SMS'))) return;
        await queue.enqueue({ messageId: m.messageId, raw: (rc.record.value ?? Buffer.alloc(0)).toString('base64'), partition: rc.record.partition, offset: rc.record.offset, attempt: 0 }, ctx.now());
      },
    });
    const loop = pollLoop(ctx, queue, sender, cfg.sms.pollInterval, cfg.sms.claimBatch);
    return {
      name: 'delivery-sms', endpoints: [], checks: deps.checks(['kafka', 'registry', 'redis', 'postgres']),
      async stop() { await consumer.stop(); await loop.stop(); await sender.close(); },
    };
  },
};

/** Claims due texts and works on them; one item's failure is logged and retried after the visibility timeout. */
function pollLoop(ctx: ServiceContext, queue: SmsQueue, sender: SmsSender, intervalMs: number, batch: number): { stop(): Promise<void> } {
  let running = true;
  const inFlight = new Set<Promise<void>>();
  const tick = async (): Promise<void> => {
    while (running) {
      let claimed = 0;
      try {
        // Claim only what fits beside the work still in flight, so a slow Twilio cannot pile up memory.
        const room = batch - inFlight.size;
        const items = room > 0 ? await queue.claim(ctx.now(), VISIBILITY_MS, room) : [];
        claimed = items.length;
        for (const item of items) {
          const p = sender.handle(item).catch((err: unknown) => {
            ctx.metrics.taskFailures.inc({ task: 'sms-send' });
            ctx.log.error({ messageId: item.messageId, code: (err as { code?: unknown }).code ?? 'INTERNAL', error: (err as Error).name }, 'SMS send failed; retried after the visibility timeout');
          }).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      } catch (err) {
        ctx.log.error({ code: (err as { code?: unknown }).code ?? 'INTERNAL' }, 'SMS queue claim failed');
      }
      if (claimed < batch / 2) await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  const done = tick();
  return { async stop() { running = false; await done; await Promise.all(inFlight); } };
}
