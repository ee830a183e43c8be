import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { silentLogger, testConfig, uniqueId } from '../../test/helpers.js';
import { Dependencies } from '../service/dependencies.js';
import { SmsQueue } from './sms-queue.js';

const cfg = testConfig({ 'redis.keyPrefix': `${uniqueId('smsq')}:` });
const deps = new Dependencies(cfg, silentLogger);
after(async () => {
  const redis = await deps.redis();
  for await (const keys of redis.scanIterator({ MATCH: `${cfg.redis.keyPrefix}*`, COUNT: 1000 })) if (keys.length > 0) await redis.del(keys);
  await deps.close();
});

test('a created text completes in one step: out of the queue, deduplicated, its SID remembered, and its sender\'s gap counted from then', async () => {
  const q = new SmsQueue(await deps.redis(), cfg.redis.keyPrefix, 60);
  const now = Date.now();
  const item = { messageId: uniqueId('m'), raw: 'AA==', partition: 0, offset: '1', attempt: 0 };
  assert.equal(await q.enqueue(item, now), true);
  await q.syncSenders('org', [{ number: '+18005550100', intervalMs: 1100 }]);
  const [claimed] = await q.claim(now, 60_000, 10);
  assert.equal(claimed?.messageId, item.messageId);
  const slot = await q.reserve('org', now);
  assert.equal(slot?.sender, '+18005550100');
  assert.equal(await q.startSend('org', '+18005550100', 1000), true);
  assert.equal(await q.startSend('org', '+18005550100', 1000), false, 'not while its send is in flight');
  const ids = { messageId: item.messageId, traceId: 't', organizationId: 'org', patientId: 'p' };
  await q.completeSent(item.messageId, { organizationId: 'org', sender: '+18005550100', minGapMs: 1000 }, 'SM1', ids);
  assert.equal(await q.depth(), 0, 'out of the queue');
  assert.equal(await q.enqueue(item, now), false, 'a replay is not queued again');
  assert.deepEqual(await q.idsOfSid('SM1'), ids);
  assert.equal(await q.startSend('org', '+18005550100', 1000), false, 'the gap runs from the answer');
  await new Promise((r) => setTimeout(r, 1050));
  assert.equal(await q.startSend('org', '+18005550100', 1000), true);
});

test('a text sent through a Messaging Service (no guarded sender) completes as well', async () => {
  const q = new SmsQueue(await deps.redis(), cfg.redis.keyPrefix, 60);
  const item = { messageId: uniqueId('m'), raw: 'AA==', partition: 0, offset: '2', attempt: 0 };
  await q.enqueue(item, Date.now());
  await q.completeSent(item.messageId, null, 'SM2', { messageId: item.messageId, traceId: 't', organizationId: 'org', patientId: 'p' });
  assert.equal(await q.enqueue(item, Date.now()), false);
  assert.equal((await q.idsOfSid('SM2'))?.messageId, item.messageId);
});
