import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionTracker, Metrics } from './tracker.js';

const ack = (id: string): string => JSON.stringify({ type: 'ack', id });
const reply = (id: string, replyTo: string | null): string => JSON.stringify({ type: 'message', id, replyTo, text: 'ok', quickReplies: [] });

test('given a measured message, when its ack and reply arrive, then both latencies are sampled once', () => {
  const m = new Metrics();
  m.measuring = true;
  const t = new ConnectionTracker(m);
  t.sent('c1', 'help', 1000);
  t.received(ack('c1'), 1005);
  t.received(reply('s1', 'c1'), 1040);
  t.received(reply('s1', 'c1'), 1050);
  t.received(reply('s2', 'c1'), 1060);
  assert.deepEqual(m.ackMs, [5]);
  assert.deepEqual(m.replyMs, [40]);
  assert.equal(m.duplicateMessages, 1, 'the same server id again is a duplicate');
  assert.equal(m.extraReplies, 1, 'a second server message for the same id is an extra reply');
  assert.deepEqual(t.outstanding(), { acks: 0, replies: 0, repliesByCategory: {} });
});

test('warm-up messages give no samples; replies to another connection\'s message are not ours', () => {
  const m = new Metrics();
  const t = new ConnectionTracker(m);
  t.sent('w1', 'help', 0);
  m.measuring = true;
  t.received(ack('w1'), 3);
  t.received(reply('s1', 'w1'), 9);
  t.received(reply('s2', 'someone-else'), 10);
  t.received(reply('s3', null), 11);
  assert.deepEqual(m.ackMs, []);
  assert.deepEqual(m.replyMs, []);
  assert.equal(m.repliedTotal, 1);
  assert.equal(m.repliesInWindow, 1);
  assert.equal(m.otherMessages, 2);
});

test('an error frame about a message counts by code and keeps it out of the lost figures', () => {
  const m = new Metrics();
  m.measuring = true;
  const t = new ConnectionTracker(m);
  t.sent('c1', 'help', 0);
  t.sent('c2', 'symptom', 0);
  t.sent('c3', 'symptom', 0);
  t.received(JSON.stringify({ type: 'error', id: 'c1', code: 'RATE_LIMITED', message: 'slow down' }), 1);
  t.received(ack('c2'), 2);
  t.received(JSON.stringify({ type: 'error', id: null, code: 'BAD_FRAME', message: '?' }), 3);
  t.received('not json', 4);
  t.received(ack('nobody'), 5);
  assert.deepEqual(Object.fromEntries(m.errors), { RATE_LIMITED: 1, BAD_FRAME: 1 });
  assert.equal(m.badFrames, 1);
  assert.equal(m.unexpectedAcks, 1);
  assert.deepEqual(t.outstanding(), { acks: 1, replies: 2, repliesByCategory: { symptom: 2 } });
});
