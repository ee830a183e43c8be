/*
 * What a Twilio answer means for the message: sent, retry later, or give up. Twilio's REST errors
 * carry an HTTP status and a numeric code (https://www.twilio.com/docs/api/errors).
 */
export type SendOutcome =
  | { kind: 'sent'; sid: string; status: string }
  | { kind: 'retry'; code: string; httpStatus: number }
  | { kind: 'permanent'; code: string; httpStatus: number; optOut: boolean };

/** 21610: the recipient replied STOP to this sender; Twilio refuses until they reply START. */
export const UNSUBSCRIBED = 21610;

// Codes that are the number's or the content's fault: resending the same message cannot help.
const PERMANENT = new Set([21211, 21408, 21610, 21612, 21614, 21617, 21635, 30003, 30004, 30005, 30006, 30007, 30008]);

/** Classifies a thrown error of the twilio client (RestException) or a network failure. */
export function classifyTwilioError(err: unknown): Exclude<SendOutcome, { kind: 'sent' }> {
  const e = err as { status?: unknown; code?: unknown };
  const status = typeof e.status === 'number' ? e.status : 0;
  const code = typeof e.code === 'number' ? e.code : typeof e.code === 'string' && /^\d+$/.test(e.code) ? Number(e.code) : 0;
  const label = code !== 0 ? String(code) : status !== 0 ? `HTTP_${status}` : 'NETWORK';
  if (status === 429 || code === 20429 || status >= 500 || status === 0) return { kind: 'retry', code: label, httpStatus: status };
  if (PERMANENT.has(code) || (status >= 400 && status < 500)) return { kind: 'permanent', code: label, httpStatus: status, optOut: code === UNSUBSCRIBED };
  return { kind: 'retry', code: label, httpStatus: status };
}

/** Exponential backoff with full jitter, so a 429 storm does not come back in lockstep. */
export function retryDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Twilio's message status (callbacks and fetches) as our delivery state. */
export function deliveryStateOf(status: string): 'QUEUED' | 'SENT' | 'DELIVERED' | 'FAILED' | 'UNDELIVERABLE' | null {
  switch (status) {
    case 'accepted': case 'queued': case 'scheduled': case 'sending': return 'QUEUED';
    case 'sent': return 'SENT';
    case 'delivered': case 'read': return 'DELIVERED';
    case 'undelivered': return 'UNDELIVERABLE';
    case 'failed': case 'canceled': return 'FAILED';
    default: return null;
  }
}
