import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliveryStatus, OutboundMessage, PatientAction } from '../../schemas/generated/avro-types.js';
import type { SchemaCatalogue } from '../../platform/avro/catalogue.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { LingeringTopic } from '../../platform/kafka/linger.js';
import type { Publisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import { deferForQuietHours, parseQuietHours } from '../../platform/reminders/quiet-hours.js';
import type { SmsAccount, SmsAccounts } from '../../platform/sms/accounts.js';
import type { TwilioClients } from '../../platform/sms/client.js';
import { CAREGIVER_PREFIX } from '../../platform/reminders/caregiver.js';
import { countSegments } from '../../platform/sms/segments.js';
import { classifyTwilioError, deliveryStateOf, retryDelay, type SendOutcome } from '../../platform/sms/twilio-errors.js';
import type { QueuedSms, SmsQueue } from '../../platform/stores/sms-queue.js';
import { decide, lateAllowanceMs, senderIntervalMs, type Recipient, type SenderRates } from './policy.js';

/** How a recipient's state and phone are found; PostgreSQL and the vault in the service. */
export interface RecipientDirectory {
  recipient(organizationId: string, patientId: string): Promise<Recipient & { timezone: string | null }>;
  phoneOf(organizationId: string, patientId: string): Promise<string | null>;
  /** A caregiver (`cgv_<id>` recipients): opted out by their own STOP, allowed by the patient's consent. */
  caregiver(organizationId: string, caregiverId: string): Promise<Recipient & { timezone: string | null }>;
}

export interface SmsSenderOptions {
  queue: SmsQueue;
  accounts: SmsAccounts;
  clients: TwilioClients;
  directory: RecipientDirectory;
  keyring: Keyring;
  catalogue: SchemaCatalogue;
  publisher: Publisher;
  log: Logger;
  registry: Registry;
  now: () => number;
  rates: SenderRates;
  validityMs: number;
  maxAttempts: number;
  retryBackoffMs: number;
  /** Where Twilio posts status callbacks; empty: none requested. */
  statusCallbackUrl: string;
  /** How long delivery.status records gather before one produce request (default 20 ms). */
  statusLingerMs?: number;
}

/** Sealed content of an SMS record: the text, and the number itself only for a not-yet-verified contact. */
interface SmsContent { text: string; quickReplies?: string[]; to?: string }

const HOLD_MS = 2000; // a slot this close is waited for in process rather than queued again
const EARLY_CLAIM_MS = 400; // a queued slot is claimed this much ahead, so the poll interval does not make it late

/**
 * Sends queued texts through the organisation's Twilio account: edge policy first (opt-out, consent,
 * quiet hours, validity), then a sender slot from the shared pool (per-sender rate), then the
 * twilio client; 429/5xx are retried with backoff and jitter, permanent errors dead-lettered.
 */
export class SmsSender {
  private readonly sent: Counter<'outcome'>;
  private readonly segments: Counter<'encoding'>;
  private readonly dropped: Counter<'reason'>;
  private readonly latency: Histogram;
  private readonly synced = new Map<string, { at: number; done: Promise<void> }>();
  private readonly statuses: LingeringTopic<'delivery.status'>;

  constructor(private readonly o: SmsSenderOptions) {
    this.sent = new Counter({ name: 'careloop_sms_sends_total', help: 'Twilio message creations by outcome (sent, retry, permanent)', labelNames: ['outcome'], registers: [o.registry] });
    this.segments = new Counter({ name: 'careloop_sms_segments_total', help: 'SMS segments sent (each is billed), by encoding', labelNames: ['encoding'], registers: [o.registry] });
    this.dropped = new Counter({ name: 'careloop_sms_dropped_total', help: 'texts the SMS edge did not send, by reason', labelNames: ['reason'], registers: [o.registry] });
    this.statuses = new LingeringTopic(o.publisher, 'delivery.status', o.statusLingerMs ?? 20);
    this.latency = new Histogram({ name: 'careloop_sms_queue_seconds', help: 'time from a text\'s creation to its send', buckets: [0.05, 0.1, 0.5, 1, 5, 30, 120, 600, 3600], registers: [o.registry] });
  }

  /** Handles one claimed item to its next state: sent, re-queued, dropped or dead-lettered. */
  async handle(item: QueuedSms): Promise<void> {
    const m = await this.o.catalogue.decode<OutboundMessage>(Buffer.from(item.raw, 'base64'));
    const account = await this.o.accounts.byOrganization(m.organizationId);
    if (account === null) return this.deadLetter(item, m, 'SMS_NO_ACCOUNT', 'the organisation has no SMS account');
    const content = JSON.parse(await this.o.keyring.openText(m.organizationId, m.patientId, m.content)) as SmsContent;
    const now = this.o.now();
    // Re-checked on every claim: a STOP may have come in while the text waited.
    const recipient = m.patientId.startsWith(CAREGIVER_PREFIX) ? await this.o.directory.caregiver(m.organizationId, m.patientId.slice(CAREGIVER_PREFIX.length))
      : content.to !== undefined ? { kind: 'contact' as const, status: 'unknown' as const, smsConsent: null, timezone: null } : await this.o.directory.recipient(m.organizationId, m.patientId);
    // Quiet hours hold proactive texts only (the policy reads quietUntil for them alone): the zone arithmetic is skipped for the rest.
    const quietUntil = m.kind === 'PROACTIVE' ? deferForQuietHours(now, parseQuietHours(account.quietHours), recipient.timezone ?? account.timezone) : now;
    const decision = decide({ message: m, recipient, now, validityMs: this.o.validityMs, quietUntil });
    switch (decision.kind) {
      case 'drop':
        this.dropped.inc({ reason: decision.reason });
        await this.status(m, 'UNDELIVERABLE', item.attempt, decision.reason);
        return this.o.queue.complete(item.messageId);
      case 'defer':
        return this.o.queue.reschedule({ ...item, sender: undefined, slotAt: undefined }, decision.until);
      case 'send':
        return this.sendWithin(item, m, account, content, decision.validUntil);
    }
  }

  private async sendWithin(item: QueuedSms, m: OutboundMessage, account: SmsAccount, content: SmsContent, validUntil: number): Promise<void> {
    // Looked up before the slot is taken: nothing slow may stand between the slot and the send.
    const to = content.to ?? (await this.o.directory.phoneOf(m.organizationId, m.patientId));
    if (to === null) {
      this.dropped.inc({ reason: 'NO_PHONE' });
      await this.status(m, 'UNDELIVERABLE', item.attempt, 'NO_PHONE');
      return this.o.queue.complete(item.messageId);
    }
    let { sender, slotAt, lateMs = 0, intervalMs } = item;
    for (;;) {
      // A slot missed (claimed or woken too late) is given up: the sender's next slot may be close behind it.
      if (slotAt !== undefined && this.o.now() > slotAt + lateMs) [sender, slotAt] = [undefined, undefined];
      if (sender === undefined || slotAt === undefined) {
        const slot = await this.reserve(account);
        if (slot === null) {
          if (account.messagingServiceSid === null) return this.deadLetter(item, m, 'SMS_NO_SENDER', 'the SMS account has no sender numbers');
          break; // a Messaging Service picks the sender and paces it at Twilio
        }
        if (slot.at >= validUntil) {
          this.dropped.inc({ reason: 'EXPIRED' });
          await this.status(m, 'UNDELIVERABLE', item.attempt, 'EXPIRED');
          return this.o.queue.complete(item.messageId);
        }
        ({ sender, at: slotAt } = slot);
        ({ intervalMs } = slot);
        lateMs = lateAllowanceMs(intervalMs);
        // Far slots wait in the queue (claimed a little early), near ones in this process: either way the send is on time.
        if (slotAt - this.o.now() > HOLD_MS) return this.o.queue.reschedule({ ...item, sender, slotAt, lateMs, intervalMs }, slotAt - EARLY_CLAIM_MS);
      }
      await sleep(slotAt - this.o.now());
      if (this.o.now() > slotAt + lateMs) continue;
      if (intervalMs === undefined || sender === undefined || (await this.o.queue.startSend(account.organizationId, sender, intervalMs - lateMs))) break;
      [sender, slotAt] = [undefined, undefined]; // the sender's previous send started late: this slot is too close to it
    }
    const guard = intervalMs !== undefined && sender !== undefined ? { organizationId: account.organizationId, sender, minGapMs: intervalMs - lateMs } : null;
    const outcome = await this.create(account, sender, to, content.text, validUntil); // never throws: failures are outcomes
    // A created message settles the guard in the same round trip as its completion; any other answer here.
    if (outcome.kind !== 'sent' && guard !== null) await this.o.queue.finishSend(guard.organizationId, guard.sender, guard.minGapMs);
    this.sent.inc({ outcome: outcome.kind });
    return this.settle(item, m, account, outcome, content.text, guard);
  }

  /** Waits for the delivery.status records still gathering. */
  async close(): Promise<void> {
    await this.statuses.close();
  }

  private async reserve(account: SmsAccount): Promise<{ sender: string; at: number; intervalMs: number } | null> {
    if (account.senders.length === 0) return null;
    // The pool follows the account's senders every 30 s; one sync at a time however many texts wait on it.
    let sync = this.synced.get(account.organizationId);
    if (sync === undefined || this.o.now() - sync.at > 30_000) {
      sync = { at: this.o.now(), done: this.o.queue.syncSenders(account.organizationId, account.senders.map((s) => ({ number: s.number, intervalMs: senderIntervalMs(s.kind, this.o.rates) }))) };
      this.synced.set(account.organizationId, sync);
      sync.done.catch(() => this.synced.delete(account.organizationId));
    }
    await sync.done;
    return this.o.queue.reserve(account.organizationId, this.o.now());
  }

  private async create(account: SmsAccount, from: string | undefined, to: string, body: string, validUntil: number): Promise<SendOutcome> {
    const validityPeriod = Math.max(1, Math.min(36_000, Math.floor((validUntil - this.o.now()) / 1000)));
    try {
      const msg = await this.o.clients.for(account).messages.create({
        to, body, validityPeriod,
        ...(from !== undefined ? { from } : { messagingServiceSid: account.messagingServiceSid ?? '' }),
        ...(this.o.statusCallbackUrl !== '' ? { statusCallback: this.o.statusCallbackUrl } : {}),
      });
      return { kind: 'sent', sid: msg.sid, status: msg.status };
    } catch (err) {
      return classifyTwilioError(err);
    }
  }

  private async settle(item: QueuedSms, m: OutboundMessage, account: SmsAccount, outcome: SendOutcome, body: string, guard: Parameters<SmsQueue['completeSent']>[1] = null): Promise<void> {
    switch (outcome.kind) {
      case 'sent': {
        const seg = countSegments(body);
        this.segments.inc({ encoding: seg.encoding }, seg.segments);
        this.latency.observe(Math.max(0, this.o.now() - m.createdAt) / 1000);
        // Completed before the status goes out: a crash between them loses a QUEUED record, never sends the text twice.
        await this.o.queue.completeSent(item.messageId, guard, outcome.sid, { messageId: m.messageId, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId });
        return this.status(m, deliveryStateOf(outcome.status) ?? 'QUEUED', item.attempt + 1, null);
      }
      case 'retry': {
        const attempt = item.attempt + 1;
        if (attempt >= this.o.maxAttempts) return this.deadLetter({ ...item, attempt }, m, `TWILIO_${outcome.code}`, `still refused after ${attempt} attempts`);
        this.o.log.warn({ messageId: m.messageId, code: outcome.code, attempt }, 'Twilio refused for now; retrying later');
        const due = this.o.now() + retryDelay(attempt, this.o.retryBackoffMs, 60_000);
        return this.o.queue.reschedule({ ...item, attempt, sender: undefined, slotAt: undefined }, due);
      }
      case 'permanent':
        // 21610: the number replied STOP to Twilio itself; the patient is opted out the way a STOP in the chat does.
        if (outcome.optOut && !m.patientId.startsWith('smsc_') && !m.patientId.startsWith(CAREGIVER_PREFIX)) await this.optOut(m);
        return this.deadLetter({ ...item, attempt: item.attempt + 1 }, m, `TWILIO_${outcome.code}`, `Twilio refused the message permanently (HTTP ${outcome.httpStatus}, account ${account.accountSid.slice(0, 6)}…)`);
    }
  }

  private async optOut(m: OutboundMessage): Promise<void> {
    const action: PatientAction = {
      actionId: `${m.messageId}:opt_out`, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId, type: 'opt_out',
      occurredAt: this.o.now(), causedBy: m.messageId, workflowId: null, workflowVersion: null, attributes: { channel: 'sms', source: 'carrier_21610' }, payload: null,
    };
    await this.o.publisher.publish('patient.actions', [{ key: m.patientId, value: action }]);
  }

  private async deadLetter(item: QueuedSms, m: OutboundMessage, code: string, reason: string): Promise<void> {
    await this.o.publisher.deadLetter('delivery-sms', {
      id: randomUUID(), consumerGroup: 'delivery-sms', originalTopic: this.o.publisher.physical('chat.outbound'), partition: item.partition, offset: item.offset,
      key: Buffer.from(m.patientId), value: Buffer.from(item.raw, 'base64'), headers: {}, errorCode: code, reason, attempts: Math.max(1, item.attempt), failedAt: this.o.now(),
    });
    await this.status(m, 'FAILED', Math.max(1, item.attempt), code);
    await this.o.queue.complete(item.messageId);
  }

  private async status(m: OutboundMessage, state: DeliveryStatus['status'], attempt: number, errorCode: string | null): Promise<void> {
    const status: DeliveryStatus = { messageId: m.messageId, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId, channel: 'SMS', status: state, at: this.o.now(), attempt: Math.max(1, attempt), errorCode };
    await this.statuses.publish({ key: m.patientId, value: status });
  }
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
