/*
 * What the hospital's answer means for the patient and for the queue. Pure: an HTTP status (or a
 * time-out) and the OperationOutcome's first issue code in, a decision out.
 */

export type HospitalAnswer =
  | { kind: 'ok' }
  | { kind: 'refused'; reason: RefusalReason }
  | { kind: 'retry'; reason: 'timeout' | 'unavailable' | 'throttled' };

export type RefusalReason = 'slot_taken' | 'invalid' | 'not_allowed' | 'not_found';

/** `status` null: no answer (a time-out or a network failure). */
export function classifyHospitalAnswer(status: number | null, issueCode?: string): HospitalAnswer {
  if (status === null) return { kind: 'retry', reason: 'timeout' };
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 408 || status === 504) return { kind: 'retry', reason: 'timeout' };
  if (status === 429) return { kind: 'retry', reason: 'throttled' };
  if (status >= 500) return { kind: 'retry', reason: 'unavailable' };
  if (status === 409 || status === 412 || issueCode === 'conflict' || issueCode === 'duplicate') return { kind: 'refused', reason: 'slot_taken' };
  if (status === 401 || status === 403) return { kind: 'refused', reason: 'not_allowed' };
  if (status === 404 || status === 410) return { kind: 'refused', reason: 'not_found' };
  return { kind: 'refused', reason: 'invalid' };
}

/** Delay before the next try: exponential from `baseMs`, capped, with up to 20 % jitter from `random`. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 - 0.2 * random()));
}
