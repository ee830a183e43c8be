/**
 * The channel choice: one pure function of what is known about a patient's reachability. Replies to
 * an inbound message keep the inbound's channel (the dialogue sets it; the WEB hot path makes no
 * extra hop); proactive messages (reminders, signals) go where this module says, and a proactive
 * message not seen on the web falls back along FALLBACK_ORDER, once per channel.
 */
export type DeliveryChannel = 'WEB' | 'PUSH' | 'SMS';

/** Web first (free, two-way, in the open chat), then a push notification, then a billed text. */
export const FALLBACK_ORDER: readonly DeliveryChannel[] = ['WEB', 'PUSH', 'SMS'];

/** Recent outcomes of one channel for this patient; the personalisation work fills these in. */
export interface ChannelOutcomes {
  delivered: number;
  failed: number;
}

/** A channel that failed this many times in a row with nothing delivered is passed over. */
export const FAILING_AFTER = 3;

export interface Reachability {
  /** The channel the patient asked for (channel_preferences), if any. */
  preference: DeliveryChannel | null;
  /** A gateway instance holds a socket of the patient now (the route table). */
  connected: boolean;
  /** Registered Web Push subscriptions and FCM tokens. */
  pushDevices: number;
  /** A phone in the vault, not opted out, and SMS consent on record. */
  smsAllowed: boolean;
  /** Past delivery outcomes per channel; empty until personalisation learns them. */
  outcomes: Partial<Record<DeliveryChannel, ChannelOutcomes>>;
}

export interface DeliveryPlan {
  /** Where the message goes now: one channel, or every reachable one for an escalation. */
  channels: DeliveryChannel[];
  /** Whether a fallback timer is armed: the message may go on to a later channel if not seen. */
  fallback: boolean;
}

function reachable(ch: DeliveryChannel, r: Reachability): boolean {
  switch (ch) {
    case 'WEB': return true; // the outbox keeps it until the chat opens
    case 'PUSH': return r.pushDevices > 0;
    case 'SMS': return r.smsAllowed;
  }
}

function failing(ch: DeliveryChannel, r: Reachability): boolean {
  const o = r.outcomes[ch];
  return o !== undefined && o.delivered === 0 && o.failed >= FAILING_AFTER;
}

/** Reachable channels, best first for this patient now. */
export function rankChannels(r: Reachability): DeliveryChannel[] {
  const usable = FALLBACK_ORDER.filter((c) => reachable(c, r));
  const healthy = usable.filter((c) => !failing(c, r));
  const pool = healthy.length > 0 ? healthy : usable;
  // Offline on the web: a channel that reaches the patient now comes before the waiting outbox.
  const live = r.connected ? pool : [...pool.filter((c) => c !== 'WEB'), ...pool.filter((c) => c === 'WEB')];
  const pref = r.preference;
  return pref !== null && live.includes(pref) ? [pref, ...live.filter((c) => c !== pref)] : live;
}

/** The plan for a proactive message; an escalation goes on every reachable channel at once. */
export function planDelivery(r: Reachability, escalation = false): DeliveryPlan {
  const ranked = rankChannels(r);
  if (escalation) return { channels: ranked.length > 0 ? ranked : ['WEB'], fallback: false };
  const first = ranked[0] ?? 'WEB';
  return { channels: [first], fallback: nextFallback([first], r) !== null };
}

/**
 * The channel a proactive message not seen yet moves on to, given those it already went on: the
 * next reachable one after the last tried in FALLBACK_ORDER, never one tried before; null: none.
 */
export function nextFallback(tried: readonly DeliveryChannel[], r: Reachability): DeliveryChannel | null {
  const last = Math.max(...tried.map((c) => FALLBACK_ORDER.indexOf(c)));
  for (const c of FALLBACK_ORDER.slice(last + 1)) {
    if (!tried.includes(c) && reachable(c, r) && !failing(c, r)) return c;
  }
  return null;
}

/** The id of a message's fallback copy: derived, so a replayed fallback is the same record. */
export function fallbackMessageId(rootId: string, channel: DeliveryChannel): string {
  return `${rootId}~${channel.toLowerCase()}`;
}

/** The original message id of a fallback copy (itself for an original). */
export function rootMessageId(messageId: string): string {
  const i = messageId.indexOf('~');
  return i < 0 ? messageId : messageId.slice(0, i);
}
