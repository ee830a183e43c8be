import type { OutboundMessage } from '../../schemas/generated/avro-types.js';
import { fallbackMessageId, nextFallback, type Reachability } from '../../platform/delivery/channel.js';
import type { PendingFallback } from '../../platform/delivery/fallbacks.js';
import type { WebChannel } from '../../platform/delivery/web-channel.js';

export interface FallbackPorts {
  web: Pick<WebChannel, 'waiting' | 'withdraw' | 'requeue'>;
  reachability(org: string, patient: string): Promise<Reachability>;
  publish(m: OutboundMessage): Promise<void>;
  now: () => number;
}

export type FallbackResult = 'seen' | 'no_channel' | 'PUSH' | 'SMS' | 'withdrawn_late';

/**
 * One due fallback: a message no longer in the web outbox was seen and nothing more is sent;
 * otherwise it goes once to the next reachable channel, as a copy with a derived id. An SMS copy
 * takes the message out of the outbox first, so it is never read on the web and as a text both.
 */
export async function runFallback(f: PendingFallback, p: FallbackPorts): Promise<FallbackResult> {
  const entry = await p.web.waiting(f.patientId, f.messageId);
  if (entry === null) return 'seen';
  const next = nextFallback(f.tried, await p.reachability(f.organizationId, f.patientId));
  if (next === null || next === 'WEB') return 'no_channel';
  // Withdrawn before it is sent: a chat opening in between gets the message or the text, not both.
  if (next === 'SMS' && !(await p.web.withdraw(f.patientId, f.messageId))) return 'withdrawn_late';
  const copy: OutboundMessage = {
    messageId: fallbackMessageId(f.messageId, next), traceId: f.traceId, organizationId: f.organizationId, patientId: f.patientId,
    channel: next, kind: 'PROACTIVE', replyTo: null, createdAt: p.now(), workflowId: null, workflowVersion: null,
    templateId: null, variantId: null, propensity: null, content: entry.content,
  };
  try {
    await p.publish(copy);
  } catch (err) {
    if (next === 'SMS') await p.web.requeue(f.patientId, entry); // not sent: the web keeps it
    throw err;
  }
  return next;
}
