import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILING_AFTER, fallbackMessageId, nextFallback, planDelivery, rankChannels, rootMessageId, type Reachability } from './channel.js';

const base: Reachability = { preference: null, connected: false, pushDevices: 0, smsAllowed: false, outcomes: {} };
const r = (over: Partial<Reachability>): Reachability => ({ ...base, ...over });

test('given a patient connected now, a reminder goes on the web and may fall back to push then SMS', () => {
  const p = r({ connected: true, pushDevices: 1, smsAllowed: true });
  assert.deepEqual(planDelivery(p), { channels: ['WEB'], fallback: true });
  assert.equal(nextFallback(['WEB'], p), 'PUSH');
  assert.equal(nextFallback(['WEB', 'PUSH'], p), 'SMS');
  assert.equal(nextFallback(['WEB', 'PUSH', 'SMS'], p), null);
});

test('given a patient offline on the web, push comes first, else SMS, else the waiting outbox', () => {
  assert.deepEqual(planDelivery(r({ pushDevices: 2, smsAllowed: true })).channels, ['PUSH']);
  assert.deepEqual(planDelivery(r({ smsAllowed: true })), { channels: ['SMS'], fallback: false });
  assert.deepEqual(planDelivery(r({})), { channels: ['WEB'], fallback: false });
  assert.equal(nextFallback(['PUSH'], r({ pushDevices: 1, smsAllowed: true })), 'SMS');
  assert.equal(nextFallback(['PUSH'], r({ pushDevices: 1 })), null, 'no SMS without consent and a phone');
});

test('the patient\'s preference comes first when it can reach them, and is ignored when it cannot', () => {
  assert.deepEqual(planDelivery(r({ connected: true, smsAllowed: true, preference: 'SMS' })).channels, ['SMS']);
  assert.deepEqual(planDelivery(r({ connected: false, pushDevices: 1, preference: 'WEB' })).channels, ['WEB']);
  assert.deepEqual(planDelivery(r({ connected: true, preference: 'PUSH' })).channels, ['WEB'], 'no device: preference unusable');
});

test('a channel that keeps failing is passed over, unless nothing else is left', () => {
  const failingPush = { PUSH: { delivered: 0, failed: FAILING_AFTER } };
  assert.deepEqual(planDelivery(r({ pushDevices: 1, smsAllowed: true, outcomes: failingPush })).channels, ['SMS']);
  assert.equal(nextFallback(['WEB'], r({ pushDevices: 1, smsAllowed: true, outcomes: failingPush })), 'SMS');
  assert.deepEqual(rankChannels(r({ connected: true, pushDevices: 1, outcomes: { ...failingPush, WEB: { delivered: 0, failed: 9 } } })), ['WEB', 'PUSH']);
  assert.deepEqual(planDelivery(r({ pushDevices: 1, smsAllowed: true, outcomes: { PUSH: { delivered: 1, failed: 9 } } })).channels, ['PUSH'], 'it once worked');
});

test('only an escalation goes on more than one channel', () => {
  const p = r({ connected: true, pushDevices: 1, smsAllowed: true });
  assert.deepEqual(planDelivery(p, true), { channels: ['WEB', 'PUSH', 'SMS'], fallback: false });
  for (const over of [{}, { pushDevices: 1 }, { smsAllowed: true, preference: 'SMS' as const }, { connected: true, pushDevices: 3, smsAllowed: true }]) {
    assert.equal(planDelivery(r(over)).channels.length, 1);
  }
});

test('a fallback id is derived from its original and leads back to it', () => {
  assert.equal(fallbackMessageId('m-1', 'PUSH'), 'm-1~push');
  assert.equal(rootMessageId(fallbackMessageId('m-1', 'SMS')), 'm-1');
  assert.equal(rootMessageId('m-1'), 'm-1');
});
