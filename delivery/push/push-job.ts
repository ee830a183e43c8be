import type { DeliveryStatus, OutboundMessage } from '../../schemas/generated/avro-types.js';
import { CareloopError } from '../../platform/errors.js';
import { FALLBACK_ORDER, rootMessageId, type DeliveryChannel } from '../../platform/delivery/channel.js';
import type { PendingFallback } from '../../platform/delivery/fallbacks.js';
import type { WebChannel } from '../../platform/delivery/web-channel.js';
import type { PushDevice } from '../../platform/stores/push-devices.js';
import { notificationFor, type PushNotification, type PushOutcome } from './notification.js';
import { pushReport, type PushReport } from './status.js';

/** What one push delivery needs, wired in main.ts. */
export interface PushPorts {
  web: Pick<WebChannel, 'deliver'>;
  devices: { list(org: string, patient: string): Promise<PushDevice[]>; remove(org: string, patient: string, id: string): Promise<boolean>; touch(ids: readonly string[]): Promise<void> };
  /** The organisation's public name, the patient's language, and whether proactive messages may reach them. */
  recipient(org: string, patient: string): Promise<{ organizationName: string; language: string; active: boolean } | null>;
  webPush: ((sub: Extract<PushDevice, { kind: 'webpush' }>['subscription'], n: PushNotification) => Promise<PushOutcome>) | null;
  fcm: ((token: string, n: PushNotification) => Promise<PushOutcome>) | null;
  fallbacks: { arm(f: PendingFallback, sooner?: boolean): Promise<void> };
  /** Whether PUSH may deliver this id (no other channel delivered it first). */
  claim(messageId: string): Promise<boolean>;
  /** Remembers a sent message id (a replayed record sends nothing again). */
  sentBefore(messageId: string): Promise<boolean>;
  markSent(messageId: string): Promise<void>;
  chatUrl: string;
  fallbackAfter: number;
  now: () => number;
  count(kind: PushDevice['kind'], outcome: PushOutcome['kind']): void;
  /** Publishes a delivery.status record (channel PUSH). */
  status(s: DeliveryStatus): Promise<void>;
}

async function report(m: OutboundMessage, r: PushReport, p: PushPorts): Promise<void> {
  await p.status({ messageId: m.messageId, traceId: m.traceId, organizationId: m.organizationId, patientId: m.patientId, channel: 'PUSH', status: r.status, at: p.now(), attempt: 1, errorCode: r.errorCode });
}

/** Channels a PUSH record went on, its own included: a fallback copy (id root~push) came from the web. */
export function triedBy(m: Pick<OutboundMessage, 'messageId'>): DeliveryChannel[] {
  return m.messageId.includes('~') ? FALLBACK_ORDER.slice(0, FALLBACK_ORDER.indexOf('PUSH') + 1) : ['PUSH'];
}

async function sendTo(d: PushDevice, n: PushNotification, p: PushPorts): Promise<PushOutcome> {
  if (d.kind === 'webpush') return p.webPush === null ? { kind: 'failed', retryable: false, status: 0 } : p.webPush(d.subscription, n);
  return p.fcm === null ? { kind: 'failed', retryable: false, status: 0 } : p.fcm(d.token, n);
}

/**
 * One PUSH record: the message waits in the web outbox (under its original id, so a fallback from
 * the web does not queue it twice) and every device of the patient gets a PHI-free notification
 * linking to it. Devices the push service calls gone are removed. A proactive message arms its
 * SMS fallback; when no device took the notification the fallback is due at once.
 */
export async function deliverPush(m: OutboundMessage, p: PushPorts): Promise<'sent' | 'none' | 'skipped'> {
  const root = rootMessageId(m.messageId);
  const who = await p.recipient(m.organizationId, m.patientId);
  if (who === null || !who.active) { // erased or opted out since: nothing goes out
    await report(m, { status: 'UNDELIVERABLE', errorCode: who === null ? 'NOT_A_PATIENT' : 'OPTED_OUT' }, p);
    return 'skipped';
  }
  if (!(await p.claim(m.messageId))) return 'skipped'; // went out on another channel already, which reports it
  await p.web.deliver(m.patientId, { messageId: root, replyTo: m.replyTo, organizationId: m.organizationId, content: m.content });
  if (await p.sentBefore(m.messageId)) return 'sent';
  const proactive = m.kind === 'PROACTIVE';
  const fallback: PendingFallback = { at: p.now() + p.fallbackAfter, organizationId: m.organizationId, patientId: m.patientId, messageId: root, traceId: m.traceId, tried: triedBy(m) };
  if (proactive) await p.fallbacks.arm(fallback);
  const n = notificationFor(who.organizationName, who.language, p.chatUrl, root);
  const devices = await p.devices.list(m.organizationId, m.patientId);
  const outcomes = await Promise.all(devices.map(async (d) => ({ d, o: await sendTo(d, n, p) })));
  for (const { d, o } of outcomes) {
    p.count(d.kind, o.kind);
    if (o.kind === 'gone') await p.devices.remove(m.organizationId, m.patientId, d.id);
  }
  const r = pushReport(outcomes.map((x) => x.o));
  if (r !== null) await report(m, r, p);
  const sent = outcomes.filter((x) => x.o.kind === 'sent').map((x) => x.d.id);
  if (sent.length > 0) {
    await p.markSent(m.messageId);
    await p.devices.touch(sent);
    return 'sent';
  }
  if (outcomes.some((x) => x.o.kind === 'failed' && x.o.retryable)) {
    throw new CareloopError('DEPENDENCY_UNAVAILABLE', 'no push service took the notification; retrying', { retryable: true });
  }
  if (proactive) await p.fallbacks.arm({ ...fallback, at: p.now() }, true); // no device: the next channel now
  return 'none';
}
