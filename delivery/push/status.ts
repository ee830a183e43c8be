import type { DeliveryStatus } from '../../schemas/generated/avro-types.js';
import type { PushOutcome } from './notification.js';

/** What a push delivery reports on delivery.status: the state and why not (null: nothing to report yet). */
export interface PushReport { status: DeliveryStatus['status']; errorCode: string | null }

/** Tokens the push service called gone were dropped (404/410, FCM UNREGISTERED). */
export const TOKEN_GONE = 'PUSH_TOKEN_GONE';

/**
 * One message's outcome over all the patient's devices: SENT when a push service accepted it (noting
 * a dropped token beside it), UNDELIVERABLE when no device is registered or every one was gone,
 * FAILED on a refusal that retrying cannot help; null while a retryable failure is retried.
 */
export function pushReport(outcomes: readonly PushOutcome[]): PushReport | null {
  const gone = outcomes.some((o) => o.kind === 'gone');
  if (outcomes.some((o) => o.kind === 'sent')) return { status: 'SENT', errorCode: gone ? TOKEN_GONE : null };
  if (outcomes.length === 0) return { status: 'UNDELIVERABLE', errorCode: 'PUSH_NO_DEVICE' };
  const failed = outcomes.filter((o): o is Extract<PushOutcome, { kind: 'failed' }> => o.kind === 'failed');
  if (failed.some((o) => o.retryable)) return null;
  const first = failed[0];
  if (first === undefined) return { status: 'UNDELIVERABLE', errorCode: TOKEN_GONE };
  return { status: 'FAILED', errorCode: first.status === 0 ? 'PUSH_NOT_CONFIGURED' : `PUSH_HTTP_${first.status}` };
}
