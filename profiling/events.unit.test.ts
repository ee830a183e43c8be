import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryStatus } from '../schemas/generated/avro-types.js';
import { toProfileEvent } from './events.js';

const status = (channel: DeliveryStatus['channel'], s: DeliveryStatus['status']): DeliveryStatus =>
  ({ messageId: 'm', traceId: 't', organizationId: 'o', patientId: 'p', channel, status: s, at: 1000, attempt: 1, errorCode: null });

test('push receipts (accepted, failed, token dropped) are not reads: the profile ignores them', () => {
  for (const s of ['SENT', 'FAILED', 'UNDELIVERABLE'] as const) assert.equal(toProfileEvent('delivery.status', status('PUSH', s)), null);
});

test('a read reported on the PUSH channel counts with the web, where a push opens', () => {
  assert.deepEqual(toProfileEvent('delivery.status', status('PUSH', 'READ'))?.event, { kind: 'read', id: 'm:read', at: 1000, channel: 'WEB' });
});
